import { NodeIceTransport } from '../../src/ice/index.ts';

/**
 * Real UDP sockets on the loopback addresses only, the only addresses tests may target, and no multicast
 * DNS (its queries would go out on the LAN interface).
 */
export class LoopbackIceTransport extends NodeIceTransport {
  constructor() {
    super({ mdns: false });
  }

  override interfaces() {
    return super.interfaces().filter((address) => address.internal);
  }
}
