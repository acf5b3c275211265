//! Opening an apalis task queue on Redis, as recipes 6.1 and 6.7 do.

use crate::cli::fail;
use apalis_redis::{Config, RedisStorage};
use std::time::Duration;

// ANCHOR: open
/// Connects to the Redis server at `url` and opens the queue named `queue`,
/// set up for many short tasks shared by a few workers. If Redis cannot be
/// reached, says so in one line and exits.
pub async fn open<T>(url: &str, queue: &str) -> RedisStorage<T> {
    let connection = apalis_redis::connect(url).await.unwrap_or_else(|e| {
        fail(format_args!(
            "cannot reach Redis at {url}: {e} (start one: redis-server --port 6379 --save '')"
        ))
    });
    let config = Config::default()
        .queue(queue)
        // One task per fetch, so an idle worker can take the next one.
        .batch_size(1)
        // An idle worker looks for new tasks at every heartbeat (default: 30 s).
        .heartbeat_interval(Duration::from_millis(100))
        // apalis-redis counts heartbeat age in whole seconds: allow 3 s
        // (30 x 100 ms) before another worker declares this one dead.
        .missed_heartbeats(30);
    RedisStorage::new(connection).with_config(config)
}
// ANCHOR_END: open
