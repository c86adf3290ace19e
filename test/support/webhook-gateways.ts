import { afterAll, beforeAll } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./gateway.js";
import { useWebhook } from "./scenario.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/**
 * Gateways a test file starts as it needs them (each with its own options), all delivering to one webhook
 * receiver; the receiver opens before the file's tests and everything is closed and its keys deleted after them.
 */
export class WebhookGateways {
  receiver!: WebhookReceiver;
  private readonly started: TestGateway[] = [];

  constructor(secret: string) {
    beforeAll(async () => {
      this.receiver = await new WebhookReceiver(secret).start();
    });
    afterAll(async () => {
      for (const g of this.started) {
        await g.stop();
        await deletePrefix(g.config.REDIS_PREFIX);
      }
      await this.receiver.close();
    });
  }

  async start(o: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
    const g = await startTestGateway(o);
    this.started.push(g);
    await useWebhook(g, this.receiver);
    return g;
  }
}
