import type express from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Authenticator } from '../access/auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { noteErrorCode } from './request-log';

export type RateLimitSettings = Pick<Config, 'rateLimitAnonymousPerMinute' | 'rateLimitAuthenticatedPerMinute' | 'redisUrl'> & { redisKeyPrefix: string };

/** How long the start waits for Redis. */
const REDIS_READY_MS = 2_000;
/** How often a lasting Redis outage is logged again (ioredis reports every reconnect attempt). */
const REDIS_LOG_INTERVAL_MS = 60_000;

/**
 * The rate limits (README "Rate limits"): requests per minute, counted per API key or login
 * subject for authenticated callers and per client IP for the public (TRUST_PROXY decides whether
 * X-Forwarded-For names the IP). A caller over its limit gets HTTP 429, `Retry-After` and
 * RATE_LIMITED. A credential that does not check out counts against the IP, so guessing keys
 * is limited like anonymous use.
 *
 * Counters live in memory, or in Redis when REDIS_URL is set, so that all instances behind a load
 * balancer share one limit. Redis must never take the hub down: commands fail at once while it is
 * unreachable (no offline queue), and each limiter then counts in memory (rate-limiter-flexible's
 * insurance limiter, per instance) until Redis is back.
 */
export class RateLimits {
  private constructor(
    private readonly anonymous: RateLimiterAbstract | undefined,
    private readonly authenticated: RateLimiterAbstract | undefined,
    private readonly settings: RateLimitSettings,
    private readonly log: Logger,
    private readonly redis: Redis | undefined,
  ) {}

  /**
   * The limits of the settings; undefined when both are 0 (off). With Redis, waits up to
   * REDIS_READY_MS for the connection, so that an instance counts in the shared store from its
   * first request; an unreachable Redis delays the start by that much, no more.
   */
  static async create(settings: RateLimitSettings, log: Logger): Promise<RateLimits | undefined> {
    const { rateLimitAnonymousPerMinute: anonymous, rateLimitAuthenticatedPerMinute: authenticated } = settings;
    if (!anonymous && !authenticated) return undefined;
    let redis: Redis | undefined;
    if (settings.redisUrl) {
      // Loaded only when configured: it adds a noticeable share to the start-up time otherwise.
      const { Redis: RedisClient } = await import('ioredis');
      redis = new RedisClient(settings.redisUrl, {
        enableOfflineQueue: false, // fail fast while disconnected: the insurance limiter takes over
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        commandTimeout: 500, // a hanging Redis must not hold requests up
        retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
      });
      let lastLogged = 0;
      redis.on('error', (err: Error) => {
        if (Date.now() - lastLogged < REDIS_LOG_INTERVAL_MS) return;
        lastLogged = Date.now();
        log.warn('Redis for the rate limits is unreachable; counting in memory per instance until it is back', { err: err.message });
      });
      redis.on('ready', () => {
        if (lastLogged) log.info('Redis for the rate limits is back');
        lastLogged = 0;
      });
    }
    if (redis && redis.status !== 'ready') {
      const connection = redis;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REDIS_READY_MS);
        connection.once('ready', () => (clearTimeout(timer), resolve()));
      });
    }
    const limiter = (points: number, kind: string): RateLimiterAbstract | undefined => {
      if (!points) return undefined;
      const keyPrefix = `${settings.redisKeyPrefix}:${kind}`;
      const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix });
      if (!redis) return memory;
      return new RateLimiterRedis({ storeClient: redis, points, duration: 60, keyPrefix, insuranceLimiter: memory, rejectIfRedisNotReady: true });
    };
    return new RateLimits(limiter(anonymous, 'ip'), limiter(authenticated, 'sub'), settings, log, redis);
  }

  middleware(auth: Authenticator): express.RequestHandler {
    return async (req, res, next) => {
      let credentials = null;
      if (req.headers.authorization) {
        // A failed login is answered (401) by the route itself; here it only counts as anonymous.
        credentials = await auth.forRequest(req).catch(() => null);
      }
      const [limiter, key, perMinute, who] = credentials
        ? [this.authenticated, `${credentials.via}:${credentials.subject}`, this.settings.rateLimitAuthenticatedPerMinute, 'per API key or login']
        : [this.anonymous, req.ip ?? 'unknown', this.settings.rateLimitAnonymousPerMinute, 'per IP address without login'];
      if (!limiter) return next();
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          // Not a refusal but a fault of the counter store with no fallback left: let the request
          // through rather than fail it; the limits are a guard, not the service.
          this.log.warn('rate limit not checked', { err: String(rejection) });
          return next();
        }
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        noteErrorCode(res, 'RATE_LIMITED');
        res.setHeader('Retry-After', String(retryAfter));
        res.status(429).json({
          errors: [{ message: `too many requests: at most ${perMinute} a minute ${who}; try again in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } }],
        });
        return;
      }
      next();
    };
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis!.disconnect());
  }
}
