export { type RunningServer, startServer } from './http-server.ts';
export { ServerMetrics } from './metrics.ts';
export { defaultServerOptions, type ServerOptions } from './options.ts';
export { defaultTurnOptions, type TurnOptions } from './turn-service.ts';
