/** The prefix of every route but health and metrics, spelled once. */
export const API_PREFIX = 'api/v1';
/** The same as a path: `/api/v1`. */
export const API_PATH = `/${API_PREFIX}`;
