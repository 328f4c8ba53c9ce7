//! How big each reply Redis sends is, read from the RESP framing as the bytes arrive,
//! so that a reply larger than [`MAX_REPLY_BYTES`] is refused before the `redis` crate
//! buffers it (that crate has no size limit: a hostile or intercepted server could make
//! a replica hold a gigabyte for one `$1073741824` header).
//!
//! Only the framing is read, never a value: the type byte, the length of each bulk
//! string and the count of each aggregate, nested. A reply is refused as soon as what it
//! declares cannot fit (a bulk length, or an aggregate of more elements than could fit
//! at the smallest element size), or as soon as its bytes pass the bound (a line that
//! never ends). RESP2 and RESP3 are both read.

/// The largest reply accepted. What the gateway reads back is tiny: `PONG`, `OK`, an
/// integer, a nil, a two-integer array from `admit.lua`, an error line (`NOSCRIPT`, a
/// Lua error), and at connection `HELLO`'s map of server facts when RESP3 is asked
/// for: all well under a few KiB. 1 MiB leaves ample room for a server or proxy that
/// says more, and bounds what one reply can make a replica hold.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Aggregates nested deeper than this are refused (the gateway's replies nest two deep
/// at most): it bounds the framing state kept per reply.
const MAX_DEPTH: usize = 32;

/// The smallest encoding of one element (`_\r\n`, `+\r\n`): an aggregate declaring
/// more elements than fit at this size cannot fit in the bound.
const MIN_ELEMENT_BYTES: u64 = 3;

/// The longest length or count header accepted (`-` and 19 digits fit an `i64`).
const MAX_NUMBER_DIGITS: usize = 20;

/// Why the stream from Redis was cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefused {
    /// A reply declared, or reached, more than the bound.
    #[error(
        "Redis sent a reply larger than the {} KiB this gateway accepts (at least {at_least} \
         bytes); the connection was dropped. Check that --redis-url points at the Redis \
         meant for the gateway, over rediss:// where the network is not trusted",
        MAX_REPLY_BYTES / 1024
    )]
    TooLarge {
        /// The size the reply declared or reached when it was refused.
        at_least: u64,
    },
    /// Aggregates nested deeper than any reply the gateway expects.
    #[error(
        "Redis sent a reply nested more than {MAX_DEPTH} levels deep; the connection was \
         dropped. Check that --redis-url points at a Redis server"
    )]
    TooDeep,
    /// Bytes that are not RESP framing.
    #[error(
        "Redis sent something that is not a RESP reply ({0}); the connection was dropped. \
         Check that --redis-url points at a Redis server"
    )]
    NotResp(&'static str),
}

/// Where the reader is inside the current reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Before a value's type byte.
    TypeByte,
    /// In a line whose content is skipped (`+`, `-`, `:`, `,`, `(`, `#`, `_`), which
    /// ends at CRLF (as the `redis` crate reads it: a bare LF is content); `after_cr`
    /// when the last byte read was CR.
    Line { after_cr: bool },
    /// In the length or count of `kind` (`$`, `!`, `=`, `*`, `~`, `>`, `%`, `|`).
    Number {
        kind: u8,
        negative: bool,
        value: u64,
        digits: usize,
        after_cr: bool,
    },
    /// In a bulk value's bytes: this many left, its final CRLF included.
    Bulk { left: u64 },
}

/// Reads the framing of the replies in a stream from Redis, chunk by chunk, and says
/// when one is too large.
#[derive(Debug)]
pub struct ReplySizer {
    position: Position,
    /// Elements still to come in each open aggregate, outermost first.
    open: Vec<u64>,
    /// Bytes of the current reply so far.
    reply_bytes: u64,
    limit: u64,
}

impl Default for ReplySizer {
    fn default() -> Self {
        Self::with_limit(MAX_REPLY_BYTES)
    }
}

impl ReplySizer {
    /// A sizer refusing any reply over `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            position: Position::TypeByte,
            open: Vec::new(),
            reply_bytes: 0,
            limit: limit as u64,
        }
    }

    /// Reads `bytes`, the next bytes of the stream. Once it has refused a reply, the
    /// stream must be dropped: the sizer no longer knows where it is.
    pub fn read(&mut self, mut bytes: &[u8]) -> Result<(), ReplyRefused> {
        while !bytes.is_empty() {
            let taken = self.step(bytes)?;
            bytes = &bytes[taken..];
        }
        Ok(())
    }

    /// Reads from the start of `bytes` (never empty) as far as the current position
    /// goes; returns how many bytes it took.
    fn step(&mut self, bytes: &[u8]) -> Result<usize, ReplyRefused> {
        match self.position {
            Position::TypeByte => {
                self.count(1)?;
                self.position = match bytes[0] {
                    b'+' | b'-' | b':' | b',' | b'(' | b'#' | b'_' => {
                        Position::Line { after_cr: false }
                    }
                    kind @ (b'$' | b'!' | b'=' | b'*' | b'~' | b'>' | b'%' | b'|') => {
                        Position::Number {
                            kind,
                            negative: false,
                            value: 0,
                            digits: 0,
                            after_cr: false,
                        }
                    }
                    _ => return Err(ReplyRefused::NotResp("an unknown type byte")),
                };
                Ok(1)
            }
            Position::Line { after_cr } => {
                let end = line_end(after_cr, bytes);
                let taken = end.map_or(bytes.len(), |end| end + 1);
                self.count(taken)?;
                match end {
                    Some(_) => self.value_done(),
                    None => {
                        self.position = Position::Line {
                            after_cr: bytes.last() == Some(&b'\r'),
                        }
                    }
                }
                Ok(taken)
            }
            Position::Number { .. } => {
                self.count(1)?;
                self.number_byte(bytes[0])?;
                Ok(1)
            }
            Position::Bulk { left } => {
                let taken = left.min(bytes.len() as u64);
                self.count(taken as usize)?;
                if taken == left {
                    self.value_done();
                } else {
                    self.position = Position::Bulk { left: left - taken };
                }
                Ok(taken as usize)
            }
        }
    }

    /// Adds `bytes` to the current reply's size, refusing it past the bound.
    fn count(&mut self, bytes: usize) -> Result<(), ReplyRefused> {
        self.reply_bytes += bytes as u64;
        if self.reply_bytes > self.limit {
            return Err(ReplyRefused::TooLarge {
                at_least: self.reply_bytes,
            });
        }
        Ok(())
    }

    /// One byte of a length or count header.
    fn number_byte(&mut self, byte: u8) -> Result<(), ReplyRefused> {
        let Position::Number {
            kind,
            negative,
            value,
            digits,
            after_cr,
        } = &mut self.position
        else {
            unreachable!("number_byte is only called inside a number");
        };
        match byte {
            b'0'..=b'9' if *digits < MAX_NUMBER_DIGITS && !*after_cr => {
                *value = value
                    .saturating_mul(10)
                    .saturating_add(u64::from(byte - b'0'));
                *digits += 1;
            }
            b'-' if *digits == 0 && !*negative => *negative = true,
            b'\r' if *digits > 0 && !*after_cr => *after_cr = true,
            b'\n' if *after_cr => {
                let (kind, negative, value) = (*kind, *negative, *value);
                return self.header_done(kind, negative, value);
            }
            _ => return Err(ReplyRefused::NotResp("a malformed length")),
        }
        Ok(())
    }

    /// A length or count header is complete: open the value it announces.
    fn header_done(&mut self, kind: u8, negative: bool, value: u64) -> Result<(), ReplyRefused> {
        if negative {
            // `$-1`, `*-1` (RESP2's nulls), `~-1` and `>-1` (read as such); any other
            // negative length the `redis` crate would read as endless: refused.
            if value != 1 || !matches!(kind, b'$' | b'*' | b'~' | b'>') {
                return Err(ReplyRefused::NotResp("a negative length"));
            }
            self.value_done();
            return Ok(());
        }
        let room = self.limit.saturating_sub(self.reply_bytes);
        match kind {
            b'$' | b'!' | b'=' => {
                let left = value.saturating_add(2);
                self.fits(left, room)?;
                self.position = Position::Bulk { left };
            }
            _ => {
                let elements = match kind {
                    b'%' => value.saturating_mul(2),
                    // An attribute's pairs come with the value they describe.
                    b'|' => value.saturating_mul(2).saturating_add(1),
                    _ => value,
                };
                self.fits(elements.saturating_mul(MIN_ELEMENT_BYTES), room)?;
                if elements == 0 {
                    self.value_done();
                } else if self.open.len() == MAX_DEPTH {
                    return Err(ReplyRefused::TooDeep);
                } else {
                    self.open.push(elements);
                    self.position = Position::TypeByte;
                }
            }
        }
        Ok(())
    }

    /// Refuses a reply announcing `needed` more bytes where only `room` is left.
    fn fits(&self, needed: u64, room: u64) -> Result<(), ReplyRefused> {
        if needed > room {
            return Err(ReplyRefused::TooLarge {
                at_least: self.reply_bytes.saturating_add(needed),
            });
        }
        Ok(())
    }

    /// A value is complete: it counts as one element of each aggregate it closes, and
    /// when it closes the outermost, the reply is complete.
    fn value_done(&mut self) {
        self.position = Position::TypeByte;
        while let Some(left) = self.open.last_mut() {
            *left -= 1;
            if *left > 0 {
                return;
            }
            self.open.pop();
        }
        self.reply_bytes = 0;
    }
}

/// Where the line in `bytes` ends (the index of the LF of its CRLF), if it does;
/// `after_cr` when the byte before `bytes` was CR.
fn line_end(after_cr: bool, bytes: &[u8]) -> Option<usize> {
    if after_cr && bytes.first() == Some(&b'\n') {
        return Some(0);
    }
    bytes
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .map(|cr| cr + 1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every reply the gateway's commands and the connection handshake get back.
    const GATEWAY_REPLIES: &[&[u8]] = &[
        b"+PONG\r\n",
        b"+OK\r\n",
        b":1\r\n",
        b"$-1\r\n",
        b"_\r\n",
        b"*2\r\n:0\r\n:0\r\n",
        b"*2\r\n:1\r\n:1500\r\n",
        b"-NOSCRIPT No matching script. Please use EVAL.\r\n",
        b"-ERR user_script:12: Script attempted to access nonexistent global variable\r\n",
        b"%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n",
        b"|1\r\n+ttl\r\n:3600\r\n$5\r\nvalue\r\n",
        b"=15\r\ntxt:Some string\r\n",
        b"!21\r\nSYNTAX invalid syntax\r\n",
        b"~2\r\n#t\r\n,1.5\r\n",
        b">2\r\n$10\r\ninvalidate\r\n*-1\r\n",
    ];

    fn read_all(sizer: &mut ReplySizer, chunks: &[&[u8]]) -> Result<(), ReplyRefused> {
        chunks.iter().try_for_each(|chunk| sizer.read(chunk))
    }

    #[test]
    fn the_replies_the_gateway_gets_pass_whole_and_byte_by_byte() {
        let stream = GATEWAY_REPLIES.concat();
        let mut whole = ReplySizer::default();
        whole.read(&stream).unwrap();
        let mut bytewise = ReplySizer::default();
        for byte in &stream {
            bytewise.read(std::slice::from_ref(byte)).unwrap();
        }
        for sizer in [whole, bytewise] {
            assert_eq!(sizer.position, Position::TypeByte, "{sizer:?}");
            assert!(sizer.open.is_empty() && sizer.reply_bytes == 0, "{sizer:?}");
        }
    }

    #[test]
    fn a_gigabyte_bulk_string_is_refused_at_its_header() {
        let mut sizer = ReplySizer::default();
        let refused = sizer.read(b"$1073741824\r\n").unwrap_err();
        assert_eq!(
            refused,
            ReplyRefused::TooLarge {
                at_least: 13 + 1_073_741_826
            }
        );
        let shown = refused.to_string();
        assert!(shown.contains("larger than the 1024 KiB"), "{shown}");
        assert!(shown.contains("rediss://"), "{shown}");
    }

    #[test]
    fn the_bound_is_per_reply_to_the_byte() {
        let limit = 64;
        // `$N\r\n` + N + `\r\n` = exactly the bound, then the same again: both pass.
        let exact = format!("$57\r\n{}\r\n", "x".repeat(57));
        assert_eq!(exact.len(), limit);
        let mut sizer = ReplySizer::with_limit(limit);
        sizer.read(exact.as_bytes()).unwrap();
        sizer.read(exact.as_bytes()).unwrap();
        let over = format!("$58\r\n{}\r\n", "x".repeat(58));
        let refused = ReplySizer::with_limit(limit)
            .read(over.as_bytes())
            .unwrap_err();
        assert_eq!(refused, ReplyRefused::TooLarge { at_least: 65 });
    }

    #[test]
    fn an_aggregate_that_cannot_fit_is_refused_at_its_header() {
        // A billion elements would be a billion allocations' worth of values.
        for header in [&b"*1000000000\r\n"[..], b"%400000\r\n", b"~350000\r\n"] {
            let refused = ReplySizer::default().read(header).unwrap_err();
            assert!(
                matches!(refused, ReplyRefused::TooLarge { .. }),
                "{refused:?}"
            );
        }
        ReplySizer::default().read(b"*300000\r\n").unwrap();
    }

    #[test]
    fn many_small_elements_count_towards_their_reply() {
        let mut sizer = ReplySizer::with_limit(1000);
        sizer.read(b"*300\r\n").unwrap();
        let refused = (0..300)
            .try_for_each(|_| sizer.read(b":1\r\n"))
            .unwrap_err();
        // Refused at the first element past the bound: 6 + 249 × 4 bytes.
        assert_eq!(refused, ReplyRefused::TooLarge { at_least: 1002 });
    }

    #[test]
    fn a_line_that_never_ends_is_refused_past_the_bound() {
        let mut sizer = ReplySizer::with_limit(1 << 16);
        let chunk = [b'a'; 4096];
        sizer.read(b"+").unwrap();
        let refused = (0..100).try_for_each(|_| sizer.read(&chunk)).unwrap_err();
        assert_eq!(refused, ReplyRefused::TooLarge { at_least: 65_537 });
        // A bare LF is content, as the `redis` crate reads it, so it does not end the
        // reply: lines of `+x\n` never get past the bound either.
        let mut sizer = ReplySizer::with_limit(1 << 16);
        let refused = (0..100_000)
            .try_for_each(|_| sizer.read(b"+x\n"))
            .unwrap_err();
        assert!(
            matches!(refused, ReplyRefused::TooLarge { .. }),
            "{refused:?}"
        );
    }

    #[test]
    fn a_crlf_split_across_reads_ends_the_line() {
        let mut sizer = ReplySizer::with_limit(16);
        for _ in 0..10 {
            read_all(&mut sizer, &[b"+PONG\r", b"\n"]).unwrap();
        }
        assert_eq!(sizer.reply_bytes, 0);
    }

    #[test]
    fn framing_the_redis_crate_would_read_as_endless_is_refused() {
        for (bytes, why) in [
            (&b"!-1\r\n"[..], "a negative length"),
            (b"=-5\r\n", "a negative length"),
            (b"$-2\r\n", "a negative length"),
            (b"$ 5\r\n", "a malformed length"),
            (b"$5\n", "a malformed length"),
            (b"$\r\n", "a malformed length"),
            (b"$123456789012345678901\r\n", "a malformed length"),
            (b"hello\r\n", "an unknown type byte"),
        ] {
            let refused = ReplySizer::default().read(bytes).unwrap_err();
            assert_eq!(refused, ReplyRefused::NotResp(why), "{bytes:?}");
        }
    }

    #[test]
    fn nesting_past_the_depth_is_refused() {
        let mut sizer = ReplySizer::default();
        sizer.read(&b"*1\r\n".repeat(MAX_DEPTH)).unwrap();
        assert_eq!(sizer.read(b"*1\r\n").unwrap_err(), ReplyRefused::TooDeep);
        let mut nested = b"*1\r\n".repeat(MAX_DEPTH);
        nested.extend_from_slice(b":7\r\n");
        let mut sizer = ReplySizer::default();
        sizer.read(&nested).unwrap();
        sizer.read(b"+OK\r\n").unwrap();
        assert!(sizer.open.is_empty());
    }

    proptest! {
        /// However the stream is cut into reads, the verdict and the state are the same.
        #[test]
        fn how_the_stream_is_cut_changes_nothing(
            picks in proptest::collection::vec(0..GATEWAY_REPLIES.len(), 1..20),
            cuts in proptest::collection::vec(1usize..9, 1..200),
            limit in 8usize..120,
        ) {
            let stream: Vec<u8> = picks.iter().flat_map(|&i| GATEWAY_REPLIES[i].iter().copied()).collect();
            let whole = ReplySizer::with_limit(limit).read(&stream);
            let mut sizer = ReplySizer::with_limit(limit);
            let mut rest = &stream[..];
            let mut cut = cuts.iter().cycle();
            let mut verdict = Ok(());
            while !rest.is_empty() && verdict.is_ok() {
                let (chunk, tail) = rest.split_at((*cut.next().unwrap()).min(rest.len()));
                verdict = sizer.read(chunk);
                rest = tail;
            }
            prop_assert_eq!(whole.is_ok(), verdict.is_ok());
        }
    }
}
