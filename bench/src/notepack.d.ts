declare module 'notepack.io' {
  const notepack: { encode(value: unknown): Buffer; decode(buffer: Buffer | Uint8Array): unknown };
  export default notepack;
}
