/** The Socket.IO room of one device of one app ("d:" + 36 + ":" + 36 characters, never 20). */
export const deviceRoom = (appId: string, deviceId: string): string => `d:${appId}:${deviceId}`;
