//! Who holds the `--max-connections` slots, so that no client can starve another of
//! them: a client holding many sockets (cheap requests every few seconds keep each one
//! busy enough), from one address or many, must not keep everyone else waiting.
//!
//! A new connection is served at once while a slot is free. When none is, it takes the
//! slot of another connection, chosen in this order:
//! - a connection that has never carried an authenticated request, before one that has
//!   (anonymous connections may also hold only three quarters of the slots, so the rest
//!   stays for callers who proved who they are);
//! - of the peer (an IPv4 address, or an IPv6 /64) holding the most connections;
//! - idle before busy, then the longest idle.
//!
//! It only takes a slot from a peer holding more than its own peer does (or from its own
//! peer: a client renewing its connections), and an authenticated connection gives up
//! its slot only when idle. Otherwise the new connection is refused at once, so a full
//! server costs an attacker's socket no more than an accept.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::activity::Activity;

/// Where a connection comes from, as fairness counts it: its IPv4 address, or the /64 of
/// its IPv6 address (what one host is usually given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer(IpAddr);

impl Peer {
    /// The peer of a connection from `address`.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V6(v6) => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                Self(IpAddr::V6(octets.into()))
            }
            v4 => Self(v4),
        }
    }
}

/// The slots, and who holds them.
pub struct ConnectionSlots {
    cap: usize,
    anonymous_cap: usize,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    held: HashMap<u64, Held>,
    per_peer: HashMap<Peer, usize>,
}

/// One open connection's place.
struct Held {
    peer: Peer,
    activity: Arc<Activity>,
    evict: CancellationToken,
}

/// A connection's slot, given back when dropped.
pub struct Slot {
    slots: Arc<ConnectionSlots>,
    id: u64,
    /// What the connection does, which decides whose slot is taken when all are.
    pub activity: Arc<Activity>,
    /// Cancelled when another connection took this one's slot: close it at once.
    pub evicted: CancellationToken,
}

impl ConnectionSlots {
    /// `cap` slots, at most three quarters of them (and at least one) for connections
    /// that have not carried an authenticated request.
    pub fn new(cap: usize) -> Arc<Self> {
        let cap = cap.max(1);
        Arc::new(Self {
            cap,
            anonymous_cap: (cap - cap / 4).max(1),
            table: Mutex::new(Table::default()),
        })
    }

    /// How many connections hold a slot.
    pub fn held(&self) -> usize {
        self.table.lock().held.len()
    }

    /// A slot for a new connection from `peer`, taking another's when none is free and
    /// the rules above allow; `None` when the connection must be refused.
    pub fn admit(self: &Arc<Self>, peer: Peer) -> Option<Slot> {
        let mut table = self.table.lock();
        let full = table.held.len() >= self.cap;
        let anonymous_full =
            table.held.len() >= self.anonymous_cap && table.anonymous() >= self.anonymous_cap;
        if full || anonymous_full {
            let victim = table
                .victim(peer, false)
                .or_else(|| if full { table.victim(peer, true) } else { None })?;
            table.release(victim);
        }
        Some(table.hold(self, peer))
    }
}

impl Table {
    fn count(&self, peer: Peer) -> usize {
        self.per_peer.get(&peer).copied().unwrap_or(0)
    }

    fn anonymous(&self) -> usize {
        self.held
            .values()
            .filter(|held| !held.activity.authenticated())
            .count()
    }

    /// The connection whose slot a new one from `peer` may take, among the anonymous
    /// ones, or (with `authenticated`) among the idle authenticated ones.
    fn victim(&self, peer: Peer, authenticated: bool) -> Option<u64> {
        let mine = self.count(peer);
        // Taking from a bigger peer must leave it no smaller than the newcomer's; an
        // authenticated connection gives way only to a strictly fairer split.
        let margin = usize::from(authenticated);
        self.held
            .iter()
            .filter(|(_, held)| held.activity.authenticated() == authenticated)
            .filter(|(_, held)| !authenticated || held.activity.is_idle())
            .filter(|(_, held)| held.peer == peer || self.count(held.peer) > mine + margin)
            .min_by_key(|(_, held)| {
                (
                    std::cmp::Reverse(self.count(held.peer)),
                    !held.activity.is_idle(),
                    held.activity.idle_since(),
                )
            })
            .map(|(&id, _)| id)
    }

    fn release(&mut self, id: u64) {
        if let Some(held) = self.held.remove(&id) {
            held.evict.cancel();
            if let Some(count) = self.per_peer.get_mut(&held.peer) {
                *count -= 1;
                if *count == 0 {
                    self.per_peer.remove(&held.peer);
                }
            }
        }
    }

    fn hold(&mut self, slots: &Arc<ConnectionSlots>, peer: Peer) -> Slot {
        let id = self.next_id;
        self.next_id += 1;
        let activity = Arc::new(Activity::new());
        let evict = CancellationToken::new();
        self.held.insert(
            id,
            Held {
                peer,
                activity: Arc::clone(&activity),
                evict: evict.clone(),
            },
        );
        *self.per_peer.entry(peer).or_default() += 1;
        Slot {
            slots: Arc::clone(slots),
            id,
            activity,
            evicted: evict,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.table.lock().release(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(last: u8) -> Peer {
        Peer::of(IpAddr::from([127, 0, 0, last]))
    }

    #[test]
    fn a_full_server_takes_the_slot_of_the_biggest_peer_for_a_smaller_one() {
        let slots = ConnectionSlots::new(8);
        let held: Vec<Slot> = (0..5).map(|_| slots.admit(peer(2)).unwrap()).collect();
        let other = slots.admit(peer(3)).unwrap();
        assert_eq!(slots.held(), 6, "anonymous connections fill three quarters");
        let _newcomer = slots.admit(peer(4)).expect("a slot from the biggest peer");
        assert_eq!(slots.held(), 6);
        assert_eq!(held.iter().filter(|s| s.evicted.is_cancelled()).count(), 1);
        assert!(!other.evicted.is_cancelled());
    }

    #[test]
    fn authenticated_connections_give_way_only_when_idle_and_to_a_fairer_split() {
        let slots = ConnectionSlots::new(4);
        let held: Vec<Slot> = (0..4)
            .map(|_| {
                let slot = slots.admit(peer(2)).unwrap();
                slot.activity.mark_authenticated();
                slot
            })
            .collect();
        let busy: Vec<_> = held.iter().map(|s| s.activity.begin()).collect();
        assert!(
            slots.admit(peer(3)).is_none(),
            "busy connections keep their slots"
        );
        drop(busy);
        assert!(slots.admit(peer(3)).is_some(), "an idle one gives way");
        assert_eq!(held.iter().filter(|s| s.evicted.is_cancelled()).count(), 1);
    }

    #[test]
    fn anonymous_connections_hold_at_most_three_quarters() {
        let slots = ConnectionSlots::new(8);
        let held: Vec<Slot> = (0..6).map(|_| slots.admit(peer(2)).unwrap()).collect();
        let seventh = slots
            .admit(peer(2))
            .expect("its own peer's oldest gives way");
        assert_eq!(slots.held(), 6);
        assert_eq!(held.iter().filter(|s| s.evicted.is_cancelled()).count(), 1);
        seventh.activity.mark_authenticated();
        let _other = slots.admit(peer(3)).unwrap();
        assert_eq!(slots.held(), 7, "the authenticated one left room");
    }

    #[test]
    fn a_peer_cannot_take_from_a_smaller_one() {
        let slots = ConnectionSlots::new(2);
        let small = slots.admit(peer(3)).unwrap();
        let big = slots.admit(peer(2)).unwrap();
        let _again = slots.admit(peer(2)).expect("it renews its own");
        assert!(big.evicted.is_cancelled());
        assert!(!small.evicted.is_cancelled());
    }

    #[test]
    fn ipv6_peers_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        assert_eq!(Peer::of(a), Peer::of(b));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(Peer::of(mapped), peer(1));
    }
}
