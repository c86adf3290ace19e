/**
 * The camera scan of an enrollment QR code, where the browser can: BarcodeDetector (Chromium on Android, macOS,
 * ChromeOS) and a camera. Elsewhere the button stays hidden and the link is pasted, or opened from the sign-in
 * page's "Use the authenticator app" link.
 */

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorClass = new (options: { formats: string[] }) => BarcodeDetectorLike;

/** Wire the scan button inside `section` (hidden unless the browser can scan); `onText` gets the first QR's text. */
export function startScanner(section: HTMLElement, onText: (text: string) => void): void {
  const Detector = (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector || !navigator.mediaDevices?.getUserMedia) return;
  section.hidden = false;
  const button = section.querySelector("button")!;
  const video = section.querySelector("video")!;
  let stream: MediaStream | undefined;
  const stop = () => {
    for (const t of stream?.getTracks() ?? []) t.stop();
    stream = undefined;
    video.hidden = true;
    button.textContent = "Scan QR code";
  };
  button.addEventListener("click", async () => {
    if (stream) return stop();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      button.textContent = "Camera unavailable: paste the link";
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    button.textContent = "Stop scanning";
    await video.play().catch(() => undefined);
    const detector = new Detector({ formats: ["qr_code"] });
    const look = async () => {
      if (!stream) return;
      const found = await detector.detect(video).catch(() => []);
      const text = found[0]?.rawValue;
      if (text) {
        stop();
        onText(text);
        return;
      }
      requestAnimationFrame(() => void look());
    };
    void look();
  });
}
