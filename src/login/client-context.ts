/** What the phone is shown about the login it is asked to approve: which browser, from where. */
export interface ClientContext {
  ip: string;
  userAgent: string;
}

/** "Chrome on Windows": enough for a person to recognise their own login, without a UA-parsing dependency. */
export function describeBrowser(userAgent: string): string {
  const ua = userAgent.slice(0, 512);
  const browser =
    /Edg\//.test(ua) ? "Edge" : /OPR\//.test(ua) ? "Opera" : /Firefox\//.test(ua) ? "Firefox"
    : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : /curl\//.test(ua) ? "curl" : "Unknown browser";
  const os =
    /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS"
    : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

/**
 * Where the login comes from. Without a GeoIP database this is the client's address, which is what the user
 * needs to tell "me" from "not me".
 */
export const describeLocation = (ip: string): string => (ip ? `IP ${ip.replace(/^::ffff:/, "")}` : "Unknown location");
