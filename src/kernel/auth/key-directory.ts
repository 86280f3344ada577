import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';

/**
 * The verification keys of the auth module in this process. The auth module fills it at start (and
 * on rotation); other modules in the same process verify against it without any HTTP round trip.
 */
export interface KeyDirectory {
  publish(keys: JWK[]): void;
  keys(): JWK[];
  resolver: JWTVerifyGetKey;
}

export function createKeyDirectory(): KeyDirectory {
  let current: JWK[] = [];
  let resolve: JWTVerifyGetKey = createLocalJWKSet({ keys: [] });
  return {
    publish(keys) {
      current = keys.map((k) => ({ ...k }));
      resolve = createLocalJWKSet({ keys: current });
    },
    keys: () => current.map((k) => ({ ...k })),
    resolver: (header, token) => resolve(header, token),
  };
}
