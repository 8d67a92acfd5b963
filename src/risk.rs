//! How unusual a sign-in looks, from what the user's earlier sign-ins were like.
//! Pure: the caller gathers the history; this only weighs it.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFactor {
    /// A browser/device this user has not signed in from before.
    NewDevice,
    /// A network (IPv4 /24, IPv6 /48) this user has not signed in from before.
    NewNetwork,
    /// Several wrong passwords or codes just before this success.
    FailuresBeforeSuccess,
    /// An hour of day far from every earlier sign-in of this user.
    OddHour,
}

impl RiskFactor {
    pub fn weight(self) -> u8 {
        match self {
            RiskFactor::NewDevice => 30,
            RiskFactor::NewNetwork => 25,
            RiskFactor::FailuresBeforeSuccess => 25,
            RiskFactor::OddHour => 20,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskFactor::NewDevice => "new device",
            RiskFactor::NewNetwork => "new network",
            RiskFactor::FailuresBeforeSuccess => "failed attempts first",
            RiskFactor::OddHour => "unusual time",
        }
    }
}

/// A score of this much or more marks the sign-in as suspicious.
pub const SUSPICIOUS_AT: u8 = 50;

/// One earlier sign-in of the same user.
#[derive(Clone, Debug)]
pub struct PastSignIn {
    pub device: Option<String>,
    pub ip: Option<IpAddr>,
    /// Hour of day (0–23, UTC).
    pub hour: u32,
}

#[derive(Clone, Debug)]
pub struct SignIn<'a> {
    pub device: Option<&'a str>,
    pub ip: Option<IpAddr>,
    pub hour: u32,
    pub failures_before: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub score: u8,
    pub factors: Vec<RiskFactor>,
}

impl Risk {
    pub fn suspicious(&self) -> bool {
        self.score >= SUSPICIOUS_AT
    }
}

/// The network part of an address: IPv4 /24, IPv6 /48 (a home or office, roughly).
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// Hours apart on a 24-hour clock (23 and 1 are 2 apart).
fn hours_apart(a: u32, b: u32) -> u32 {
    let d = a.abs_diff(b) % 24;
    d.min(24 - d)
}

/// Weighs a sign-in against the user's history. A first sign-in has nothing to be
/// compared with, so only failures count; the time of day counts once there are five
/// earlier sign-ins to know the user's habits from.
pub fn assess(now: &SignIn<'_>, history: &[PastSignIn]) -> Risk {
    let mut factors = Vec::new();
    if !history.is_empty() {
        if let Some(device) = now.device
            && !history.iter().any(|p| p.device.as_deref() == Some(device))
        {
            factors.push(RiskFactor::NewDevice);
        }
        if let Some(ip) = now.ip {
            let net = network_of(ip);
            if !history.iter().filter_map(|p| p.ip).any(|p| network_of(p) == net) {
                factors.push(RiskFactor::NewNetwork);
            }
        }
        if history.len() >= 5 && history.iter().all(|p| hours_apart(p.hour, now.hour) > 2) {
            factors.push(RiskFactor::OddHour);
        }
    }
    if now.failures_before >= 3 {
        factors.push(RiskFactor::FailuresBeforeSuccess);
    }
    let score = factors.iter().map(|f| u32::from(f.weight())).sum::<u32>().min(100) as u8;
    Risk { score, factors }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn past(device: &str, ip: &str, hour: u32) -> PastSignIn {
        PastSignIn { device: Some(device.into()), ip: ip.parse().ok(), hour }
    }

    #[test]
    fn a_familiar_sign_in_is_not_risky() {
        let history = vec![past("dev-a", "203.0.113.7", 9); 6];
        let now = SignIn { device: Some("dev-a"), ip: "203.0.113.99".parse().ok(), hour: 10, failures_before: 0 };
        assert_eq!(assess(&now, &history), Risk { score: 0, factors: vec![] });
    }

    #[test]
    fn new_device_and_network_is_suspicious() {
        let history = vec![past("dev-a", "203.0.113.7", 9)];
        let now = SignIn { device: Some("dev-b"), ip: "198.51.100.1".parse().ok(), hour: 9, failures_before: 0 };
        let risk = assess(&now, &history);
        assert_eq!(risk.factors, vec![RiskFactor::NewDevice, RiskFactor::NewNetwork]);
        assert_eq!(risk.score, 55);
        assert!(risk.suspicious());
    }

    #[test]
    fn odd_hours_need_a_habit_first() {
        let few = vec![past("dev-a", "203.0.113.7", 9); 4];
        let now = SignIn { device: Some("dev-a"), ip: "203.0.113.7".parse().ok(), hour: 3, failures_before: 0 };
        assert!(assess(&now, &few).factors.is_empty());
        let many = vec![past("dev-a", "203.0.113.7", 9); 5];
        assert_eq!(assess(&now, &many).factors, vec![RiskFactor::OddHour]);
        // Around midnight counts as close.
        let late = vec![past("dev-a", "203.0.113.7", 23); 5];
        let now = SignIn { hour: 1, ..now };
        assert!(assess(&now, &late).factors.is_empty());
    }

    #[test]
    fn failures_count_even_on_a_first_sign_in() {
        let now = SignIn { device: Some("dev-a"), ip: None, hour: 9, failures_before: 4 };
        let risk = assess(&now, &[]);
        assert_eq!(risk.factors, vec![RiskFactor::FailuresBeforeSuccess]);
        assert!(!risk.suspicious());
    }

    #[test]
    fn networks() {
        assert_eq!(network_of("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(network_of("2001:db8:abcd:12::1".parse().unwrap()), "2001:db8:abcd::/48");
    }

    #[test]
    fn scores_are_capped() {
        let history = vec![past("dev-a", "203.0.113.7", 9); 5];
        let now = SignIn { device: Some("dev-z"), ip: "198.51.100.1".parse().ok(), hour: 21, failures_before: 9 };
        let risk = assess(&now, &history);
        assert_eq!(risk.factors.len(), 4);
        assert_eq!(risk.score, 100);
    }
}
