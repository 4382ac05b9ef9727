import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { describeRuleApi } from './ruleContract';
import { startBrokerWithManagement } from './brokerSupport';
import { startTestManagementServer } from './support';

describeRuleApi('in-memory backend', () =>
  startTestManagementServer(new MemoryAdminBackend('sbemulatorns')),
);

describeRuleApi('real broker via startEmulator', () => startBrokerWithManagement());
