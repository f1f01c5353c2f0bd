/** Query parameters that carry credentials (stream tickets, tokens): their values reach no log line or span. */
export const CREDENTIAL_QUERY_PARAMETERS = ['ticket', 'access_token', 'token'] as const;

const CREDENTIAL_IN_QUERY = new RegExp(`([?&](?:${CREDENTIAL_QUERY_PARAMETERS.join('|')})=)[^&#]*`, 'gi');

/** A URL (or path with query) as it may be recorded: the values of credential parameters replaced. */
export function redactUrl(url: string): string {
  return url.replace(CREDENTIAL_IN_QUERY, '$1[redacted]');
}
