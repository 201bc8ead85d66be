/** How long a handoff record lives: the default and the documented maximum (cc-seal(1), cc-handoff(1)). */

/** A day, as cclink. */
export const DEFAULT_TTL = 86400;
/** A year: the longest a record may live. Longer ones broke date arithmetic and outlive any republisher. */
export const MAX_TTL = 365 * 86400;
/** How a usage error states MAX_TTL. */
export const MAX_TTL_SAYS = 'a year';
