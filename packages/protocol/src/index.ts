// @hush/protocol: Matrix types shared by every package. No I/O.
export * from './errors.ts';
export * from './ids.ts';
export * from './events.ts';
export * from './canonical-json.ts';
export * from './ignore/index.ts';
export * from './endpoint.ts';
export * as api from './endpoints/index.ts';
export * as federation from './federation/index.ts';
export type { DeviceInfo, LoginResponse, Profile } from './endpoints/accounts.ts';
export type { MutualRoomsResponse } from './endpoints/mutual-rooms.ts';
export * from './responses.ts';
export type { HiddenInvite } from './endpoints/hush.ts';
