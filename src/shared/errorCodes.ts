/**
 * Every code an AppError can carry, in one place and grouped by the part that raises it. The
 * codes are printed in logs, in the CLI's failure lines and in the README, and scripts branch
 * on them: a code is renamed only as a breaking change.
 */

/** The order job and its database (src/orders). */
export type OrderErrorCode =
  /** A row of the orders CSV cannot become an order message. */
  | 'InvalidOrderData'
  /** The store's rows contradict each other (a bug or a hand edit), so the job stops. */
  | 'StoreInconsistent'
  /** A stored count is past what a JS number holds exactly. */
  | 'StoredNumberTooLarge'
  /** A connection to PostgreSQL could not be opened; `retryable` says whether to wait. */
  | 'DatabaseUnreachable'
  /** Every pooled connection stayed busy for the connect timeout. */
  | 'DatabasePoolBusy'
  /** The in-invocation retries of a transient database error are spent. */
  | 'DatabaseUnavailable'
  /** Another live process holds the PGlite folder. */
  | 'DatabaseInUse'
  /** The PGlite folder's lock file cannot be written (a read-only folder). */
  | 'DatabaseLockFailed';

/** The worker that hosts the Functions app outside Azure (src/worker). */
export type WorkerErrorCode =
  /** An entry file of the app threw while loading. */
  | 'AppLoadFailed'
  /** The app's appStart hook threw. */
  | 'AppStartHookFailed'
  /** Two functions of the app share a name. */
  | 'DuplicateFunction'
  /** A function was registered after the entry files finished loading. */
  | 'RegistrationClosed'
  /** An invocation came before the app set its programming model (`@azure/functions`). */
  | 'NoProgrammingModel'
  /** The function threw something that is not an Error (a text: that text). */
  | 'FunctionFailed'
  /** The function ran past host.json's functionTimeout. */
  | 'FunctionTimeout'
  /** The rest of an invocation whose function timeout passed is not run. */
  | 'InvocationTimedOut'
  /** An output binding's message could not be sent after the function succeeded. */
  | 'OutputSendFailed'
  /** An output binding's value cannot be converted to JSON (a BigInt, a circular object). */
  | 'OutputNotSerializable'
  /** The library refused the worker's capabilities (`getCapabilities`) at start-up. */
  | 'CapabilitiesFailed'
  /** A receive did not return in time (Service Bus stopped answering); retryable. */
  | 'ReceiveStalled'
  /** This machine's clock is ahead of Service Bus's by more than a lock's duration. */
  | 'ClockAhead'
  /**
   * A session function's wait for a session timed out and Service Bus did not answer a probe
   * of the entity either (it stopped answering); retryable.
   */
  | 'SessionAcceptStalled'
  /** A message body the trigger's data type cannot be built from. */
  | 'UnsupportedMessageBody';

/** The local Service Bus emulator (src/emulator). */
export type EmulatorErrorCode =
  /** A SQL filter or action that does not parse or that Service Bus refuses. */
  | 'SqlSyntaxError'
  /** A SQL filter or action failed while evaluated (C#'s divide by zero). */
  | 'SqlEvaluationFailed'
  /** A line of an entity log that is neither a change nor a write cut short by a crash. */
  | 'EntityLogDamaged'
  /**
   * The journal could not be rewritten at start (a full disk, a file size limit); it is kept
   * whole. Retryable only when the system ran out of space, which may come back by itself.
   */
  | 'JournalRewriteFailed'
  /**
   * The journal has a damaged record with whole records after it, or one that passes its
   * check yet cannot be read: no torn tail, so the emulator refuses to start on it.
   */
  | 'JournalDamaged'
  /** Another live emulator holds the data folder. */
  | 'DataDirInUse'
  /** The data folder's lock file cannot be written. */
  | 'DataDirLockFailed'
  /** A management (HTTP) request refused, by kind. */
  | `Management${'NotFound' | 'AlreadyExists' | 'QuotaExceeded' | 'BadRequest'}`
  | `Management${'Unauthorized' | 'NotSupported'}`;

/** The operator CLI (src/cli). */
export type CliErrorCode =
  /** A command line that cannot be acted on; exits with 2. */
  | 'UsageError'
  /** A send input (a file, stdin, a value) that is not what the command needs. */
  | 'InvalidInput'
  /** A send input file that cannot be read. */
  | 'InputUnreadable'
  /** `sbworker rejected` found no PGlite database in the folder. */
  | 'DatabaseNotFound'
  /** Dead letters chosen for replay were locked elsewhere or removed meanwhile. */
  | 'DeadLettersNotReceived'
  /** No dead letter is the one asked for. */
  | 'DeadLetterNotFound'
  /** A replay target's duplicate detection would drop copies. */
  | 'DuplicateDetection'
  /** A replay target needs sessions and a letter has no session id. */
  | 'SessionIdRequired';

/**
 * Service Bus's own codes, kept when the CLI reports the SDK's refusal in its words (the
 * `ServiceBusError` codes of `@azure/service-bus`).
 */
export type ServiceBusErrorCode =
  | 'GeneralError'
  | 'MessagingEntityNotFound'
  | 'MessageSizeExceeded'
  | 'UnauthorizedAccess'
  | 'ServiceCommunicationProblem'
  | 'ServiceTimeout';

/** Settings read before anything starts (ConfigError). */
export type ConfigErrorCode = 'InvalidConfiguration';

/**
 * A code read off another library's error (the SDK's, Node's) and passed on unchanged. It is
 * made only by `foreignErrorCode`, so a misspelt literal still fails to compile.
 */
export type ForeignErrorCode = string & { readonly foreignErrorCode: unique symbol };

export type AppErrorCode =
  | OrderErrorCode
  | WorkerErrorCode
  | EmulatorErrorCode
  | CliErrorCode
  | ServiceBusErrorCode
  | ConfigErrorCode
  | ForeignErrorCode;

/** Marks a code taken from another library's error, to be carried by an AppError as it is. */
export function foreignErrorCode(code: string): ForeignErrorCode {
  return code as ForeignErrorCode;
}
