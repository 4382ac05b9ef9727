export { checkWorker, runWorkerProcess } from './process';
export {
  configureWorker,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type RunningWorker,
  type WorkerActivity,
  startWorker,
  type WorkerOptions,
} from './runtime';
