/** The Socket.IO room of one device of one app ("d:" + 36 + ":" + 36 characters, never 20). */
export const deviceRoom = (appId: string, deviceId: string): string => `d:${appId}:${deviceId}`;

/**
 * The Socket.IO room of one user's devices on the channel ("u:" + 36 + ":" + 32 characters): every socket whose
 * key is enrolled for that user joins it, and hears there that a request of that user ended (`push:ended`). The
 * handle it carries went to each of them already: one handle per challenge, pushed to every device of its user.
 */
export const deviceUserRoom = (appId: string, uid: string): string => `u:${appId}:${uid}`;
