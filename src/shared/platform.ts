/**
 * Why this process runs on a hosting platform rather than a developer's machine, or undefined.
 * The local-only defaults (the embedded emulator and database, `--reset`) are refused there:
 * a platform wipes their folders on each deploy or restart, and scaled-out instances would each
 * keep their own copy, so work would be completed and then lost.
 *
 * - Heroku sets `DYNO` on every dyno.
 * - Azure App Service, and so Azure Functions, sets `WEBSITE_INSTANCE_ID` on every instance;
 *   Core Tools does not set it for `func start`, so local runs keep their defaults.
 * - `NODE_ENV=production` is how other platforms and users say the same.
 */
export function platformReason(settings: Record<string, string | undefined>): string | undefined {
  const dyno = settings.DYNO ?? '';
  if (dyno !== '') return `DYNO is set (${dyno}, a Heroku dyno)`;
  if ((settings.WEBSITE_INSTANCE_ID ?? '') !== '') {
    return 'WEBSITE_INSTANCE_ID is set (Azure Functions or App Service)';
  }
  if ((settings.NODE_ENV ?? '').toLowerCase() === 'production') return 'NODE_ENV is production';
  return undefined;
}
