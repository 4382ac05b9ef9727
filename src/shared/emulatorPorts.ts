// The ports of the official Service Bus emulator, which ours keeps, so that a connection string
// written for it (and the SDK's `UseDevelopmentEmulator`) reaches ours unchanged.

/** AMQP. */
export const DEFAULT_EMULATOR_AMQP_PORT = 5672;

/** The management (ATOM) API and `/health`, over plain HTTP. */
export const DEFAULT_EMULATOR_HTTP_PORT = 5300;
