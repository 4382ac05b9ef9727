import { ConfigError } from './errors';

/**
 * Heroku's Node.js buildpack offers `web: npm start` as a default process and a first push may
 * start it; a web dyno that binds no port is killed and restarted in a loop. This project runs
 * on worker dynos only, so a web dyno stops at once and says what to do.
 *
 * @throws ConfigError on a web dyno (`DYNO=web.N`).
 */
export function refuseWebDyno(dyno: string | undefined): void {
  if (!/^web\./.test(dyno ?? '')) return;

  throw new ConfigError(
    `This is a Heroku web dyno (DYNO=${dyno}); the worker runs on worker dynos. ` +
      'Scale the web process to 0: heroku ps:scale web=0 worker=1',
  );
}
