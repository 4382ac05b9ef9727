const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * Reads the data set's `M/D/YYYY H:MM` (UK local time, no zone) and returns an ISO 8601 instant
 * with its UTC offset, so summer-time dates are as exact as winter ones.
 */
export function londonLocalToIso(text: string): string {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(text.trim());
  if (match === null) throw new RangeError(`not an M/D/YYYY H:MM date: ${JSON.stringify(text)}`);
  const [month, day, year, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];

  // The offset is found by formatting a first guess in London time and correcting by the
  // difference; London's offset is 0 or +1 h, so one correction settles it.
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  const offsetMs = londonWallClockMs(wanted) - wanted;
  const instant = new Date(wanted - offsetMs);

  const offsetMinutes = offsetMs / 60_000;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hh = String(Math.trunc(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  const local = new Date(instant.getTime() + offsetMs).toISOString().slice(0, 19);
  return `${local}${sign}${hh}:${mm}`;
}

function londonWallClockMs(utcMs: number): number {
  const parts = Object.fromEntries(
    londonParts.formatToParts(new Date(utcMs)).map((part) => [part.type, part.value]),
  );
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
  );
}
