// @hush/client: typed Matrix client (built in a later issue).
export {};
