import { AdminError } from './backend';

/**
 * Properties Service Bus fixes when an entity is created: "You can't enable or disable message
 * sessions / duplicate detection after the queue, topic or subscription is created" (the
 * enable-message-sessions and enable-duplicate-detection pages). An update that changes one is
 * a 400, as Azure's management API answers it.
 */
const FIXED = ['requiresSession', 'requiresDuplicateDetection'] as const;

const PROPERTY_NAMES: Record<(typeof FIXED)[number], string> = {
  requiresSession: 'RequiresSession',
  requiresDuplicateDetection: 'RequiresDuplicateDetection',
};

type Fixed = Partial<Record<(typeof FIXED)[number], boolean>>;

export function refuseFixedChanges(what: string, current: Fixed, requested: Fixed): void {
  for (const key of FIXED) {
    const now = current[key];
    const wanted = requested[key];
    if (now === undefined || wanted === undefined || now === wanted) continue;
    throw new AdminError(
      'BadRequest',
      `The ${what} cannot be saved: ${PROPERTY_NAMES[key]} cannot be changed after creation ` +
        `(it is ${now}; delete and create the entity again to change it).`,
    );
  }
}
