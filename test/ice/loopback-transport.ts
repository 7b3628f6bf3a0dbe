import { NodeIceTransport } from '../../src/ice/index.ts';

/** Real sockets on loopback interfaces only: the only addresses tests may target. */
export class LoopbackIceTransport extends NodeIceTransport {
  override interfaces() {
    return super.interfaces().filter((address) => address.internal);
  }
}
