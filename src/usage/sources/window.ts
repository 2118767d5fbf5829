// The time window as the S3 layout sees it: the day (or whole-month) folders to list, and a delivery-time filter
// on object names. Both only prune; the event-time filter in the reader is what is exact.

const DAY = 86_400_000;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Folders under `.../CloudTrail/<region>/` that can hold events of [since, until]: "YYYY/MM/" for a month that
 * lies wholly inside, else "YYYY/MM/DD/". Objects are filed by delivery date, which trails the event by minutes
 * (hours at worst), so the day after `until` is listed too, unless it is in the future.
 */
export function periodPrefixes(since: Date, until: Date | undefined, now: Date): string[] {
  const end = new Date(Math.min((until ?? now).getTime() + DAY, now.getTime()));
  let day = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  const last = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  const out: string[] = [];
  while (day <= last) {
    const d = new Date(day);
    const monthStart = d.getUTCDate() === 1;
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    if (monthStart && nextMonth - DAY <= last) {
      out.push(`${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/`);
      day = nextMonth;
    } else {
      out.push(`${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`);
      day += DAY;
    }
  }
  return out;
}

/** `<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<random>.json.gz` -> the delivery time (ms), if the name has one. */
export function deliveryTime(key: string): number | undefined {
  const m = /_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[^/]*$/.exec(key);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(t) ? undefined : t;
}

/** Late-delivery allowance: an object delivered this long after `until` may still hold events before it. */
const DELIVERY_LAG = 6 * 3_600_000;

/** False when the object's name shows it cannot hold events of the window. */
export function mayHoldWindow(key: string, since: Date, until: Date | undefined): boolean {
  const t = deliveryTime(key);
  if (t === undefined) return true;
  // Delivered before the window opened: every event in it is older.
  if (t < since.getTime()) return false;
  return until === undefined || t <= until.getTime() + DELIVERY_LAG;
}

/** "90d" or an ISO date -> the window's start; undefined when it is neither. */
export function parseSince(value: string, now: Date): Date | undefined {
  const days = /^(\d{1,4})d$/.exec(value);
  const d = days ? new Date(now.getTime() - Number(days[1]) * DAY) : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
