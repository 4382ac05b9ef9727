/**
 * The SASL mechanisms offered, in Azure's order. A Service Bus namespace answers with
 * `[MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL]` (a client's frame trace in
 * smallrye/smallrye-reactive-messaging#987); EXTERNAL takes a TLS client certificate and the
 * emulator speaks no TLS, so it is left out.
 */
export const OFFERED_SASL_MECHANISMS: readonly string[] = ['MSSBCBS', 'ANONYMOUS'];

/** What rhea's SASL server asks of a mechanism (rhea 3.0.5 lib/sasl.js). */
interface ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  start(response: Buffer | null | undefined): void;
}

/** rhea's mechanism table: one factory per name, the names offered in property order. */
export type SaslMechanisms = Record<string, () => ServerMechanism>;

/**
 * The mechanisms for the emulator's listener. MSSBCBS is the name Azure.Messaging.ServiceBus
 * (the .NET client of the Functions host) gives its anonymous exchange: like ANONYMOUS it
 * grants nothing, and the client puts CBS tokens next.
 */
export function saslMechanisms(): SaslMechanisms {
  const anonymous = (): ServerMechanism => ({
    outcome: undefined,
    username: undefined,
    start() {
      this.outcome = true;
    },
  });
  return { MSSBCBS: anonymous, ANONYMOUS: anonymous };
}
