//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths: parsed into a tree, evaluated on a
//! resource's JSON. Attribute names are matched without regard to case, as are string values
//! except those of `id` and `externalId` (case-exact in RFC 7643).

use serde_json::Value;

use super::error::ScimError;
use super::schemas::{CORE_USER, ENTERPRISE_USER};

/// The most nodes a filter may have: a filter is for finding, not for burning CPU.
const MAX_NODES: usize = 64;

/// An attribute: `name`, `name.sub`, each optionally behind its schema's URN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The extension schema holding the attribute (`None`: the core schema).
    pub extension: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, Op, Value),
    /// `emails[type eq "work"]`: a value of the multi-valued attribute matches the inner
    /// filter, whose paths are of the value's sub-attributes.
    Has(AttrPath, Box<Filter>),
}

/// A PATCH operation's target: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
}

fn invalid_filter(why: impl std::fmt::Display) -> ScimError {
    ScimError::bad("invalidFilter", format!("the filter does not parse: {why}"))
}

fn invalid_path(why: impl std::fmt::Display) -> ScimError {
    ScimError::bad("invalidPath", format!("the path does not parse: {why}"))
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Literal(Value),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' | ')' | '[' | ']' => {
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
                i += 1;
            }
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                if i >= chars.len() {
                    return Err("a string is not closed".into());
                }
                i += 1;
                let quoted: String = chars[start..i].iter().collect();
                let s: String = serde_json::from_str(&quoted)
                    .map_err(|_| format!("{quoted} is not a valid string"))?;
                out.push(Token::Literal(Value::String(s)));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')' | '[' | ']' | '"') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

/// Splits `urn:...:User:name.sub` into its extension (if any) and `name.sub`.
fn attr_path(word: &str) -> Result<AttrPath, String> {
    let (extension, rest) = if word
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        let lower = word.to_ascii_lowercase();
        if let Some(rest) = strip_urn(&lower, word, CORE_USER) {
            (None, rest)
        } else if let Some(rest) = strip_urn(&lower, word, ENTERPRISE_USER) {
            (Some(ENTERPRISE_USER.to_string()), rest)
        } else {
            return Err(format!("{word} is of no schema of this server"));
        }
    } else {
        (None, word)
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
    };
    if !valid(name) || sub.is_some_and(|s| !valid(s)) {
        return Err(format!("{word:?} is not an attribute path"));
    }
    Ok(AttrPath {
        extension,
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

/// `rest` of `word` when it starts with `urn:` (compared in lowercase) and a `:`.
fn strip_urn<'a>(lower: &str, word: &'a str, urn: &str) -> Option<&'a str> {
    let urn = urn.to_ascii_lowercase();
    lower
        .strip_prefix(&urn)
        .and_then(|r| r.strip_prefix(':'))
        .map(|_| &word[urn.len() + 1..])
}

fn op(word: &str) -> Option<Op> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "co" => Op::Co,
        "sw" => Op::Sw,
        "ew" => Op::Ew,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    nodes: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn node(&mut self) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!("more than {MAX_NODES} terms"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            self.node()?;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            self.node()?;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        self.node()?;
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err("`not` is followed by a filter in parentheses".into());
            }
            let inner = self.or()?;
            self.close(Token::Close, ")")?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.close(Token::Close, ")")?;
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                let path = attr_path(&w)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.at += 1;
                    let inner = self.or()?;
                    self.close(Token::CloseBracket, "]")?;
                    return Ok(Filter::Has(path, Box::new(inner)));
                }
                let Some(Token::Word(o)) = self.next() else {
                    return Err(format!("an operator is missing after {w}"));
                };
                if o.eq_ignore_ascii_case("pr") {
                    return Ok(Filter::Present(path));
                }
                let op = op(&o).ok_or_else(|| format!("{o:?} is not an operator"))?;
                let value = match self.next() {
                    Some(Token::Literal(v)) => v,
                    Some(Token::Word(v)) => match v.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        n => serde_json::from_str::<serde_json::Number>(n)
                            .map(Value::Number)
                            .map_err(|_| format!("{n:?} is no value: quote strings"))?,
                    },
                    _ => return Err(format!("a value is missing after {w} {o}")),
                };
                Ok(Filter::Compare(path, op, value))
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("the filter ends early".into()),
        }
    }

    fn close(&mut self, token: Token, text: &str) -> Result<(), String> {
        if self.next() == Some(token) {
            Ok(())
        } else {
            Err(format!("a {text:?} is missing"))
        }
    }
}

/// Parses a filter (`invalidFilter` when it does not).
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let mut p = Parser {
        tokens: tokens(text).map_err(invalid_filter)?,
        at: 0,
        nodes: 0,
    };
    let f = p.or().map_err(invalid_filter)?;
    if p.at != p.tokens.len() {
        return Err(invalid_filter(format!(
            "unexpected {:?}",
            p.tokens[p.at.min(p.tokens.len() - 1)]
        )));
    }
    Ok(f)
}

/// Parses an attribute path (`sortBy`, `attributes`).
pub fn parse_attr(text: &str) -> Result<AttrPath, ScimError> {
    attr_path(text.trim()).map_err(invalid_path)
}

/// Parses a PATCH path (`invalidPath` when it does not).
pub fn parse_patch_path(text: &str) -> Result<PatchPath, ScimError> {
    let text = text.trim();
    let Some(open) = text.find('[') else {
        return Ok(PatchPath {
            attr: attr_path(text).map_err(invalid_path)?,
            filter: None,
        });
    };
    let close = text
        .rfind(']')
        .ok_or_else(|| invalid_path("a \"]\" is missing"))?;
    let mut attr = attr_path(&text[..open]).map_err(invalid_path)?;
    if attr.sub.is_some() {
        return Err(invalid_path(
            "a filter follows an attribute, not a sub-attribute",
        ));
    }
    let filter = parse(&text[open + 1..close]).map_err(|e| invalid_path(e.detail))?;
    let rest = &text[close + 1..];
    if let Some(sub) = rest.strip_prefix('.') {
        attr.sub = Some(attr_path(sub).map_err(invalid_path)?.name);
    } else if !rest.is_empty() {
        return Err(invalid_path(format!("unexpected {rest:?}")));
    }
    Ok(PatchPath {
        attr,
        filter: Some(filter),
    })
}

/// The member of an object named `name` without regard to case.
pub fn member<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The object an attribute of `path`'s schema lives in.
pub fn container<'a>(resource: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    match &path.extension {
        None => Some(resource),
        Some(urn) => member(resource, urn),
    }
}

/// The values `path` names in `resource`: a multi-valued attribute's values (of complex ones,
/// their `value`, or the named sub-attribute of each).
pub fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(v) = container(resource, path).and_then(|c| member(c, &path.name)) else {
        return vec![];
    };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    items
        .into_iter()
        .filter_map(|item| match (&path.sub, item) {
            (Some(sub), item) => member(item, sub),
            (None, Value::Object(_)) => member(item, "value"),
            (None, item) => Some(item),
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn case_exact(path: &AttrPath) -> bool {
    path.extension.is_none()
        && path.sub.is_none()
        && (path.name.eq_ignore_ascii_case("id") || path.name.eq_ignore_ascii_case("externalId"))
}

fn compare(value: &Value, op: Op, wanted: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let order = match (value, wanted) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                Op::Co => return a.contains(&b),
                Op::Sw => return a.starts_with(&b),
                Op::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            Op::Eq => return a == b,
            _ => return false,
        },
        _ => return false,
    };
    match op {
        Op::Eq => order == Ordering::Equal,
        Op::Gt => order == Ordering::Greater,
        Op::Ge => order != Ordering::Less,
        Op::Lt => order == Ordering::Less,
        Op::Le => order != Ordering::Greater,
        Op::Ne | Op::Co | Op::Sw | Op::Ew => false,
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => o.values().any(present),
        _ => true,
    }
}

impl Filter {
    /// Whether `resource` (or a value of a multi-valued attribute, inside `[...]`) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(f) => !f.matches(resource),
            Filter::Present(path) if path.sub.is_none() => container(resource, path)
                .and_then(|c| member(c, &path.name))
                .is_some_and(present),
            Filter::Present(path) => values(resource, path).into_iter().any(present),
            Filter::Compare(path, Op::Ne, wanted) => {
                !Filter::Compare(path.clone(), Op::Eq, wanted.clone()).matches(resource)
            }
            Filter::Compare(path, _, Value::Null) => values(resource, path).is_empty(),
            Filter::Compare(path, op, wanted) => {
                let exact = case_exact(path);
                values(resource, path)
                    .into_iter()
                    .any(|v| compare(v, *op, wanted, exact))
            }
            Filter::Has(path, inner) => {
                let whole = AttrPath {
                    sub: None,
                    ..path.clone()
                };
                match container(resource, &whole).and_then(|c| member(c, &path.name)) {
                    Some(Value::Array(items)) => items.iter().any(|i| inner.matches(i)),
                    Some(item @ Value::Object(_)) => inner.matches(item),
                    _ => false,
                }
            }
        }
    }

    /// The attributes the filter reads (to know whether the stored extras are needed).
    pub fn paths(&self) -> Vec<&AttrPath> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut p = a.paths();
                p.extend(b.paths());
                p
            }
            Filter::Not(f) => f.paths(),
            Filter::Present(p) | Filter::Compare(p, _, _) => vec![p],
            Filter::Has(p, _) => vec![p],
        }
    }

    /// The login name an `userName eq "..."` filter looks for: found by the index.
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Filter::Compare(p, Op::Eq, Value::String(name))
                if p.extension.is_none()
                    && p.sub.is_none()
                    && p.name.eq_ignore_ascii_case("userName") =>
            {
                Some(name)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "id": "u1", "userName": "Ada", "externalId": "E-1", "active": true,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true},
                       {"value": "ada@home.example", "type": "home"}],
            ENTERPRISE_USER: {"department": "Engines", "employeeNumber": "7"}
        })
    }

    fn matches(f: &str) -> bool {
        parse(f).unwrap().matches(&user())
    }

    #[test]
    fn given_a_user_then_filters_of_every_operator_match_as_rfc_7644_says() {
        assert!(matches(r#"userName eq "ada""#));
        assert!(matches(r#"USERNAME Eq "ADA""#));
        assert!(
            !matches(r#"externalId eq "e-1""#),
            "externalId is case-exact"
        );
        assert!(matches(r#"name.familyName co "love""#));
        assert!(matches(
            r#"name.familyName sw "Lo" and name.givenName ew "a""#
        ));
        assert!(matches(r#"emails[type eq "home" and value ew ".example"]"#));
        assert!(!matches(r#"emails[type eq "other"]"#));
        assert!(matches(r#"emails.value eq "ada@home.example""#));
        assert!(matches(r#"emails eq "ada@example.com""#));
        assert!(matches(r#"active eq true and not (userName eq "bob")"#));
        assert!(matches(r#"title pr or externalId pr"#));
        assert!(!matches(r#"title pr"#));
        assert!(matches(r#"title eq null"#));
        assert!(matches(r#"userName ne "bob""#));
        assert!(matches(r#"userName gt "A" and userName lt "B""#));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engines""#
        ));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Ada""#
        ));
        assert!(matches(
            r#"userName eq "x" or (userName eq "y" or id eq "u1")"#
        ));
    }

    #[test]
    fn when_a_filter_does_not_parse_then_it_is_an_invalid_filter() {
        for bad in [
            "",
            "userName",
            r#"userName xx "a""#,
            r#"userName eq"#,
            r#"userName eq "a"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" and"#,
            r#"emails[type eq "work""#,
            r#"userName eq a"#,
            r#"urn:other:schema:attr eq "a""#,
            r#"user/name eq "a""#,
            r#"userName eq "a" userName"#,
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.scim_type, Some("invalidFilter"), "{bad}");
        }
        let deep = vec![r#"userName eq "a""#; 100].join(" or ");
        assert!(parse(&deep).is_err(), "too many terms");
    }

    #[test]
    fn patch_paths_name_an_attribute_a_value_filter_and_a_sub_attribute() {
        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.attr.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_patch_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(p.attr.extension.as_deref(), Some(ENTERPRISE_USER));
        assert_eq!(
            (p.attr.name.as_str(), p.attr.sub.as_deref()),
            ("manager", Some("value"))
        );
        for bad in [
            "",
            "emails[",
            "emails[type eq]",
            "a.b.c",
            "emails[type eq \"x\"]x",
        ] {
            assert_eq!(
                parse_patch_path(bad).unwrap_err().scim_type,
                Some("invalidPath"),
                "{bad}"
            );
        }
    }
}
