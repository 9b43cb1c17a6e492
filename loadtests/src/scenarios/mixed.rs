//! Scenario 7: a realistic blend. Of every 100 requests, 80 are about tokens (27 client
//! credentials, 27 introspections, 26 userinfo), 15 are reads (8 list pages, 7 reads of one
//! user) and 5 are durable writes (a user created and read back).

use super::{ClientCredentials, CreateUser, Introspect, ListUsers, Scenario, Userinfo};
use crate::target::Target;

pub struct Mixed {
    tokens: ClientCredentials,
    introspect: Introspect,
    userinfo: Userinfo,
    lists: ListUsers,
    writes: CreateUser,
}

impl Mixed {
    /// `size` distinct clients and `size` users on the instance.
    pub fn setup(target: &Target, size: usize) -> Result<Self, String> {
        Ok(Mixed {
            tokens: ClientCredentials::machine_users(target, size)?,
            introspect: Introspect::setup(target)?,
            userinfo: Userinfo::setup(target)?,
            lists: ListUsers::setup(target, size)?,
            writes: CreateUser::setup(target)?,
        })
    }
}

impl Mixed {
    /// Which part of the blend request `i` is.
    pub fn part(i: u64) -> &'static str {
        match i % 100 {
            0..27 => "client-credentials",
            27..54 => "introspect",
            54..80 => "userinfo",
            80..88 => "list-users",
            88..95 => "read-user",
            _ => "create-user",
        }
    }
}

impl Scenario for Mixed {
    fn name(&self) -> &'static str {
        "mixed"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        match Mixed::part(i) {
            "client-credentials" => self.tokens.request(i),
            "introspect" => self.introspect.request(i),
            "userinfo" => self.userinfo.request(i),
            "list-users" => self.lists.request(i),
            "read-user" => self.lists.read_one(i),
            _ => self.writes.request(i),
        }
    }
}
