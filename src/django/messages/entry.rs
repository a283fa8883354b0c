//! One entry as Django's `MessageDecoder` reads it and `MessageEncoder` writes
//! it back.

use super::python::{python_int, python_str, python_truthy};
use super::{MESSAGE_KEY, Message, MessageEntry};
use crate::error::{Error, PayloadError, Result};
use crate::json::{self, Map, Value};
use crate::version::DjangoVersion;

/// `obj[0] == MessageEncoder.message_key`: Django's test for a message, applied
/// to every non-empty list, the outermost one included.
pub(super) fn is_message(items: &[Value]) -> bool {
    matches!(items.first(), Some(Value::String(key)) if key == MESSAGE_KEY)
}

/// A `Message` object as Django's decoder builds it: the text and tags are
/// whatever the JSON held (the text made a string by `mark_safe`).
struct RawMessage {
    level: i64,
    text: Value,
    /// `None` in Python is JSON `null`.
    tags: Value,
    safe: bool,
}

impl RawMessage {
    /// `MessageDecoder.process_messages` on `["__json_message", …]`.
    ///
    /// Django ≤ 3.0 also read `[key, level, message]`, the form messages had
    /// before the safe flag. Otherwise: `if obj[1]: obj[3] = mark_safe(obj[3])`,
    /// then `Message(*obj[2:])`, whose `__init__` applies `int()` to the level.
    /// Every failure there is an exception out of `_decode` (a server error).
    fn read(fields: &[Value], version: DjangoVersion) -> Result<Self> {
        let bad = || Error::Payload(PayloadError::Type);
        if version == DjangoVersion::V2_2 && fields.len() == 3 {
            return Ok(Self {
                level: python_int(&fields[1]).ok_or_else(bad)?,
                text: fields[2].clone(),
                tags: Value::Null,
                safe: false,
            });
        }
        let safe = python_truthy(fields.get(1).ok_or_else(bad)?);
        let safe_text = if safe {
            let text = fields.get(3).ok_or_else(bad)?;
            Some(Value::String(python_str(text).ok_or_else(bad)?))
        } else {
            None
        };
        let (level, text, tags) = match &fields[2..] {
            [level, text] => (level, text, Value::Null),
            [level, text, tags] => (level, text, tags.clone()),
            _ => return Err(bad()),
        };
        Ok(Self {
            level: python_int(level).ok_or_else(bad)?,
            text: safe_text.unwrap_or_else(|| text.clone()),
            tags,
            safe,
        })
    }

    /// `MessageEncoder.default`: tags are written when truthy (≤ 4.0) or when
    /// not `None` (4.1+).
    fn into_value(self, version: DjangoVersion) -> Value {
        let keep_tags = if version >= DjangoVersion::V4_2 {
            self.tags != Value::Null
        } else {
            python_truthy(&self.tags)
        };
        let mut fields = vec![
            Value::String(MESSAGE_KEY.into()),
            Value::Integer(u8::from(self.safe).into()),
            Value::Integer(self.level.into()),
            self.text,
        ];
        if keep_tags {
            fields.push(self.tags);
        }
        Value::Array(fields)
    }
}

/// One top-level entry: a typed message where Django's `Message` holds strings,
/// otherwise the JSON Django writes back for it.
pub(super) fn entry(value: &Value, version: DjangoVersion) -> Result<MessageEntry> {
    let value = match value {
        Value::Array(fields) if is_message(fields) => {
            let raw = RawMessage::read(fields, version)?;
            match (&raw.text, &raw.tags) {
                (Value::String(text), Value::Null | Value::String(_)) => {
                    return Ok(MessageEntry::Message(Message {
                        level: raw.level,
                        message: text.clone(),
                        extra_tags: match raw.tags {
                            Value::String(tags) => Some(tags),
                            _ => None,
                        },
                        safe: raw.safe,
                    }));
                }
                _ => raw.into_value(version),
            }
        }
        other => canonical(other, version)?,
    };
    json::to_string(&value)
        .map(MessageEntry::Other)
        .map_err(|e| Error::Payload(e.into_payload_error()))
}

/// What Django writes back for a decoded value: `MessageDecoder.process_messages`
/// (messages anywhere inside lists and objects, not inside a message's own
/// fields), then `MessageEncoder`.
pub(super) fn canonical(value: &Value, version: DjangoVersion) -> Result<Value> {
    Ok(match value {
        Value::Array(fields) if is_message(fields) => {
            RawMessage::read(fields, version)?.into_value(version)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| canonical(item, version))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map.iter() {
                out.insert(key.clone(), canonical(item, version)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// A typed message as Django's `MessageEncoder` writes it.
pub(super) fn message_value(message: &Message, keep_empty_tags: bool) -> Value {
    let mut fields = vec![
        Value::String(MESSAGE_KEY.into()),
        Value::Integer(u8::from(message.safe).into()),
        Value::Integer(message.level.into()),
        Value::String(message.message.clone()),
    ];
    if let Some(tags) = message
        .extra_tags
        .as_deref()
        .filter(|t| keep_empty_tags || !t.is_empty())
    {
        fields.push(Value::String(tags.to_owned()));
    }
    Value::Array(fields)
}
