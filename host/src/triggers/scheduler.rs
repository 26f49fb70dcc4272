//! The scheduler: one background loop that starts the runs of enabled
//! schedule triggers at their fire times. It sleeps until the next fire
//! time of any schedule (at most a minute) or until a schedule is enabled
//! or disabled. Each flow's last fire time is kept, so that after a stop the
//! fire times missed meanwhile are skipped or run once, as the flow says.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::model::{MissedRuns, RunTrigger, Trigger, TriggerState};
use super::schedule::Schedule;
use super::Triggers;
use crate::flows::{Flow, RunStart, RunStatus};

/// Longest sleep between two looks at the schedules.
const MAX_SLEEP: Duration = Duration::from_secs(60);

impl Triggers {
    pub(super) async fn run_scheduler(&self) {
        loop {
            let next = self.fire_due().await;
            let now = Utc::now();
            let sleep = next
                .and_then(|t| (t - now).to_std().ok())
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP);
            let sleep = if next.is_none() { MAX_SLEEP } else { sleep };
            tokio::select! {
                _ = self.inner.schedule_wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Start the runs that are due; the next fire time of any schedule.
    async fn fire_due(&self) -> Option<DateTime<Utc>> {
        let states = match self.inner.store.list_triggers() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the schedules");
                return None;
            }
        };
        let mut next: Option<DateTime<Utc>> = None;
        for state in states.into_iter().filter(|s| s.enabled) {
            let Ok(flow) = self.inner.flows.get(&state.flow_id) else {
                continue;
            };
            if let Some(at) = self.fire_schedule(&flow, state).await {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        next
    }

    /// Act on one schedule; its next fire time.
    async fn fire_schedule(&self, flow: &Flow, mut state: TriggerState) -> Option<DateTime<Utc>> {
        let Trigger::Schedule {
            cron,
            timezone,
            missed,
            allow_overlap,
        } = &flow.definition.trigger
        else {
            return None;
        };
        let schedule = match Schedule::parse(cron, timezone) {
            Ok(s) => s,
            Err((_, why)) => {
                tracing::error!(flow = %flow.id, why, "a schedule cannot be read");
                return None;
            }
        };
        let now = Utc::now();
        let since = state.last_fire.or(state.enabled_at).unwrap_or(now);
        let started = self.inner.started_at;
        let mut fired = None;
        if let Some(missed_at) = schedule.last_between(since, started.min(now)) {
            match missed {
                MissedRuns::RunOnce => {
                    tracing::info!(flow = %flow.id, %missed_at, "running once for the fire times missed while the host was down");
                    self.fire(flow, missed_at, *allow_overlap).await;
                }
                MissedRuns::Skip => {
                    tracing::info!(flow = %flow.id, %missed_at, "skipping the fire times missed while the host was down")
                }
            }
            fired = Some(missed_at);
        }
        if let Some(due) = schedule.last_between(fired.unwrap_or(since).max(started), now) {
            self.fire(flow, due, *allow_overlap).await;
            fired = Some(due);
        }
        if let Some(at) = fired {
            state.last_fire = Some(at);
            // Only if still enabled: a disable may have happened meanwhile.
            let _one = self.inner.lifecycle.lock().await;
            if let Ok(Some(current)) = self.inner.store.get_trigger(&flow.id) {
                if current.enabled {
                    let kept = TriggerState {
                        last_fire: state.last_fire,
                        ..current
                    };
                    if let Err(e) = self.inner.store.put_trigger(&kept).await {
                        tracing::error!(flow = %flow.id, error = %e, "cannot save a schedule's fire time");
                    }
                }
            }
        }
        schedule.next_after(now.max(fired.unwrap_or(now)))
    }

    /// Start a scheduled run, unless the last one is still going on and
    /// the flow does not allow overlap.
    async fn fire(&self, flow: &Flow, fire_time: DateTime<Utc>, allow_overlap: bool) {
        if !allow_overlap {
            let last = self
                .inner
                .scheduled_runs
                .lock()
                .expect("scheduled runs")
                .get(&flow.id)
                .cloned();
            if let Some(run_id) = last {
                let running = self
                    .inner
                    .flows
                    .get_run(&flow.id, &run_id)
                    .is_ok_and(|r| r.status == RunStatus::Running);
                if running {
                    tracing::info!(flow = %flow.id, %fire_time, run = %run_id, "skipped: the previous scheduled run is still going on");
                    return;
                }
            }
        }
        let start = RunStart {
            run_id: None,
            input: json!({}),
            event: None,
            trigger: RunTrigger::Schedule { fire_time },
        };
        match self.inner.flows.start(flow.clone(), start).await {
            Ok(Some(run_id)) => {
                self.inner
                    .scheduled_runs
                    .lock()
                    .expect("scheduled runs")
                    .insert(flow.id.clone(), run_id);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(flow = %flow.id, error = %e, "a scheduled run could not start")
            }
        }
    }
}
