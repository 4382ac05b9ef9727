import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { describeRuleApi } from './ruleContract';
import { startTestManagementServer } from './support';

describeRuleApi('in-memory backend', () =>
  startTestManagementServer(new MemoryAdminBackend('sbemulatorns')),
);
