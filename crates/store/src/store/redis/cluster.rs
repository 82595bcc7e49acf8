//! The [`Cluster`] side of the Redis store: admission against the shared
//! queue, cluster-wide counters, heartbeats, the published language table,
//! and the pub/sub subscription that announces finished jobs.

use super::{rerr, RedisStore, GROUP};
use crate::job::now_ms;
use crate::store::{Cluster, JobStore, NewJob, OnFinished, StoreError, WorkerBeat};
use async_trait::async_trait;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[async_trait]
impl Cluster for RedisStore {
    fn id(&self) -> &str {
        &self.inner.cfg.consumer
    }

    async fn enqueue_bounded(&self, jobs: Vec<NewJob>, max: u64) -> Result<bool, StoreError> {
        let k = self.keys();
        let mut inv = self.inner.scripts.enqueue.key(&k.stream);
        inv.key(&k.index).key(&k.seq).arg(GROUP).arg(max.min(i64::MAX as u64)).arg(&k.job_prefix);
        for j in &jobs {
            let req = serde_json::to_vec(&j.request).expect("a request serializes");
            inv.arg(&j.token).arg(j.created_at_ms).arg(req);
        }
        let ok = self.run_script_count("enqueue", inv).await?;
        Ok(ok == 1)
    }

    async fn queue_depth(&self) -> Result<u64, StoreError> {
        Ok(self.counts().await?.queued)
    }

    async fn finished_by_status(&self) -> Result<BTreeMap<u8, u64>, StoreError> {
        let m: HashMap<String, u64> = redis::cmd("HGETALL")
            .arg(&self.keys().stats)
            .query_async(&mut self.conn())
            .await
            .map_err(rerr("HGETALL"))?;
        Ok(m.into_iter().filter_map(|(k, v)| Some((k.parse().ok()?, v))).collect())
    }

    async fn dead_letters(&self) -> Result<u64, StoreError> {
        redis::cmd("XLEN").arg(&self.keys().dead).query_async(&mut self.conn()).await.map_err(rerr("XLEN"))
    }

    async fn heartbeat(&self, beat: &WorkerBeat, ttl: Duration) -> Result<(), StoreError> {
        let k = self.keys();
        let json = serde_json::to_string(beat).expect("a heartbeat serializes");
        let stale = beat.seen_at_ms - 3_600_000;
        redis::pipe()
            .cmd("SET")
            .arg(format!("{}{}", k.worker_prefix, beat.id))
            .arg(json)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .ignore()
            .cmd("ZADD")
            .arg(&k.workers)
            .arg(beat.seen_at_ms)
            .arg(&beat.id)
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&k.workers)
            .arg("-inf")
            .arg(stale)
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(rerr("heartbeat"))
    }

    async fn leave(&self) -> Result<(), StoreError> {
        let k = self.keys();
        let id = &self.inner.cfg.consumer;
        redis::pipe()
            .cmd("DEL")
            .arg(format!("{}{id}", k.worker_prefix))
            .ignore()
            .cmd("ZREM")
            .arg(&k.workers)
            .arg(id)
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(rerr("leave"))
    }

    async fn live_workers(&self) -> Result<Vec<WorkerBeat>, StoreError> {
        let k = self.keys();
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(&k.workers)
            .arg(now_ms() - 600_000)
            .arg("+inf")
            .query_async(&mut self.conn())
            .await
            .map_err(rerr("ZRANGEBYSCORE"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| format!("{}{id}", k.worker_prefix)).collect();
        let beats: Vec<Option<String>> =
            redis::cmd("MGET").arg(keys).query_async(&mut self.conn()).await.map_err(rerr("MGET"))?;
        let mut out: Vec<WorkerBeat> =
            beats.into_iter().flatten().filter_map(|b| serde_json::from_str(&b).ok()).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn publish_languages(&self, table: &str) -> Result<(), StoreError> {
        redis::cmd("SET")
            .arg(&self.keys().languages)
            .arg(table)
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(rerr("SET languages"))
    }

    async fn languages(&self) -> Result<Option<String>, StoreError> {
        redis::cmd("GET").arg(&self.keys().languages).query_async(&mut self.conn()).await.map_err(rerr("GET languages"))
    }

    fn watch_finished(&self, on_done: OnFinished) -> tokio::task::JoinHandle<()> {
        let client = self.inner.client.clone();
        let channel = self.keys().done.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            // One warning per outage, not one per attempt.
            let mut said = false;
            loop {
                let problem = match client.get_async_pubsub().await {
                    Ok(mut ps) => match ps.subscribe(&channel).await {
                        Ok(()) => {
                            if said {
                                tracing::info!("notifications of finished jobs flow again");
                            }
                            delay = Duration::from_millis(100);
                            said = false;
                            // Anything finished while we were not listening: look again.
                            on_done(None);
                            let mut msgs = ps.on_message();
                            while let Some(m) = msgs.next().await {
                                if let Ok(token) = m.get_payload::<String>() {
                                    on_done(Some(&token));
                                }
                            }
                            "lost the Redis pub/sub connection; reconnecting".to_owned()
                        }
                        Err(e) => format!("cannot subscribe to finished jobs ({e}); retrying"),
                    },
                    Err(e) => format!("cannot connect to Redis for notifications ({e}); retrying"),
                };
                if !said {
                    tracing::warn!("{problem}");
                    said = true;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        })
    }
}
