export { checkWorker, runWorkerProcess } from './process';
export {
  configureWorker,
  type RunningWorker,
  type WorkerActivity,
  startWorker,
  type WorkerOptions,
} from './runtime';
export type { ReceiveRefusal } from './receiveRefusal';
export { DEFAULT_SHUTDOWN_GRACE_MS } from './workerSettings';
