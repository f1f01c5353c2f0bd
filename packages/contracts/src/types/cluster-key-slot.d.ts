/** The slot function ioredis uses (it ships no types). */
declare module 'cluster-key-slot' {
  function clusterKeySlot(key: string | Buffer): number;
  export = clusterKeySlot;
}
