import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import { describeEntityApi } from './entityContract';
import { describeEntityRulesApi } from './entityRulesContract';
import { startBrokerWithManagement } from './brokerSupport';
import { refusal, startTestManagementServer } from './support';

const QUOTA = 'QuotaExceededError';

describeEntityApi('in-memory backend', () =>
  startTestManagementServer(new MemoryAdminBackend('sbemulatorns')),
);
describeEntityRulesApi('in-memory backend', () =>
  startTestManagementServer(new MemoryAdminBackend('sbemulatorns')),
);

describe('management API quotas', () => {
  it('refuses entities beyond the namespace limits with QuotaExceeded (403)', async () => {
    const limits = {
      maxQueuesAndTopics: 1,
      maxSubscriptionsPerTopic: 1,
      maxRulesPerSubscription: 1,
    };
    const test = await startTestManagementServer(new MemoryAdminBackend('sbemulatorns', limits));
    try {
      await test.admin.createTopic('quota-t');
      await refusal(test.admin.createQueue('quota-q'), 403, QUOTA);

      await test.admin.createSubscription('quota-t', 's1');
      await refusal(test.admin.createSubscription('quota-t', 's2'), 403, QUOTA);

      const rule = test.admin.createRule('quota-t', 's1', 'second', { sqlExpression: 'a = 1' });
      await refusal(rule, 403, QUOTA);
    } finally {
      await test.server.close();
    }
  });
});

describe('management API property limits', () => {
  it('takes a duplicate window of 20 s to 7 days, as a config file does', async () => {
    const test = await startTestManagementServer(new MemoryAdminBackend('sbemulatorns'));
    try {
      const options = (window: string) => ({
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: window,
      });

      await refusal(test.admin.createQueue('dup-19s', options('PT19S')), 400);
      await refusal(test.admin.createQueue('dup-8d', options('P8D')), 400);
      const shortest = await test.admin.createQueue('dup-20s', options('PT20S'));
      const longest = await test.admin.createQueue('dup-7d', options('P7D'));

      assert.equal(shortest.duplicateDetectionHistoryTimeWindow, 'PT20S');
      assert.equal(longest.duplicateDetectionHistoryTimeWindow, 'P7D');
    } finally {
      await test.server.close();
    }
  });
});

describeEntityApi('real broker via startEmulator', () => startBrokerWithManagement());
describeEntityRulesApi('real broker via startEmulator', () => startBrokerWithManagement());
