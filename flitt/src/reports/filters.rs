//! Filters: typed per filter family (a `like` on an amount does not compile), and filters
//! given as text checked against the spec's operators.

use crate::request::{FilterFamily, ReportInfo};
use crate::types::{Date, Decimal};
use crate::validate::{InvalidInput, Rule};
use std::marker::PhantomData;

/// Marker types of the filter families.
pub mod family {
    /// `=`, `>`, `<`, `!=`, `isnull`, `notnull`.
    #[derive(Debug, Clone, Copy)]
    pub enum Float {}
    /// As float, plus `any`.
    #[derive(Debug, Clone, Copy)]
    pub enum Int {}
    /// `dateis`, `from`, `to`, `isnull`, `notnull`, `notdate`.
    #[derive(Debug, Clone, Copy)]
    pub enum Date {}
    /// `=`, `!=`, `like`, `!like`, `start`, `empty`, `any`, `notnull`.
    #[derive(Debug, Clone, Copy)]
    pub enum Text {}
    /// `istrue`.
    #[derive(Debug, Clone, Copy)]
    pub enum Bool {}
    /// `=`, `!=`, `any`.
    #[derive(Debug, Clone, Copy)]
    pub enum Select {}
    /// `in_array`.
    #[derive(Debug, Clone, Copy)]
    pub enum Array {}
    /// `daterange`.
    #[derive(Debug, Clone, Copy)]
    pub enum Daterange {}
}

/// A field of report `R` in filter family `F`.
#[derive(Debug)]
pub struct Field<R, F> {
    name: &'static str,
    _marker: PhantomData<fn() -> (R, F)>,
}

impl<R, F> Clone for Field<R, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, F> Copy for Field<R, F> {}

/// One filter of report `R`: `{"s": field, "m": operator, "v": value}`.
#[derive(Debug)]
pub struct Filter<R> {
    field: &'static str,
    op: &'static str,
    value: String,
    _marker: PhantomData<fn() -> R>,
}

impl<R> Clone for Filter<R> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            op: self.op,
            value: self.value.clone(),
            _marker: PhantomData,
        }
    }
}

impl<R> Filter<R> {
    /// The field.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The operator.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The value as sent.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl<R, F> Field<R, F> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            _marker: PhantomData,
        }
    }

    /// The field's name.
    pub fn name(self) -> &'static str {
        self.name
    }

    fn filter(self, op: &'static str, value: impl ToString) -> Filter<R> {
        Filter {
            field: self.name,
            op,
            value: value.to_string(),
            _marker: PhantomData,
        }
    }
}

fn list<T: ToString>(values: impl IntoIterator<Item = T>) -> String {
    values
        .into_iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

macro_rules! ops {
    ($family:ty { $($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) => $op:literal, $value:expr;)* }) => {
        impl<R> Field<R, $family> {
            $(
                $(#[$doc])*
                pub fn $name(self $(, $arg: $ty)*) -> Filter<R> {
                    self.filter($op, $value)
                }
            )*
        }
        #[cfg(test)]
        impl $family {
            /// The operators the typed methods send, checked against [`operators`].
            const TYPED: &'static [&'static str] = &[$($op),*];
        }
    };
}

ops!(family::Float {
    /// `=`.
    eq(v: Decimal) => "=", v;
    /// `!=`.
    ne(v: Decimal) => "!=", v;
    /// `>`.
    gt(v: Decimal) => ">", v;
    /// `<`.
    lt(v: Decimal) => "<", v;
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Int {
    /// `=`.
    eq(v: i64) => "=", v;
    /// `!=`.
    ne(v: i64) => "!=", v;
    /// `>`.
    gt(v: i64) => ">", v;
    /// `<`.
    lt(v: i64) => "<", v;
    /// `any`: one of these values.
    any(v: &[i64]) => "any", list(v.iter());
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Date {
    /// `dateis`: that whole day.
    dateis(v: Date) => "dateis", v;
    /// `from`: on or after the day.
    from(v: Date) => "from", v;
    /// `from` a number of days ago (`-2`: the last two days).
    from_days_ago(days: u32) => "from", format!("-{days}");
    /// `to`: before the end of the day.
    to(v: Date) => "to", v;
    /// `notdate`: any day but this one.
    notdate(v: Date) => "notdate", v;
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Text {
    /// `=`.
    eq(v: &str) => "=", v;
    /// `!=`.
    ne(v: &str) => "!=", v;
    /// `like`: contains.
    like(v: &str) => "like", v;
    /// `!like`: does not contain.
    not_like(v: &str) => "!like", v;
    /// `start`: starts with.
    start(v: &str) => "start", v;
    /// `empty`.
    empty() => "empty", "";
    /// `any`: one of these values.
    any(v: &[&str]) => "any", list(v.iter());
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Bool {
    /// `istrue`.
    is_true() => "istrue", "";
});

ops!(family::Select {
    /// `=`.
    eq(v: &str) => "=", v;
    /// `!=`.
    ne(v: &str) => "!=", v;
    /// `any`.
    any(v: &[&str]) => "any", list(v.iter());
});

ops!(family::Array {
    /// `in_array`.
    in_array(v: &str) => "in_array", v;
});

ops!(family::Daterange {
    /// `daterange`: between two days.
    daterange(from: Date, to: Date) => "daterange", format!("{from},{to}");
});

/// The operators a filter family allows, as the spec lists them (`report_filters.toml`,
/// generated as [`crate::api::FILTER_OPERATORS`]): the one table for filters built from text
/// (the CLI's `--filter`, its help, the sandbox's checks); the typed methods of [`Field`] send
/// exactly these (a unit test holds them together).
pub fn operators(family: FilterFamily) -> &'static [&'static str] {
    crate::api::FILTER_OPERATORS
        .iter()
        .find(|(f, _)| *f == family)
        .map_or(&[], |(_, ops)| *ops)
}

/// A filter given as text (`field`, `operator`, `value`), checked against the report's spec:
/// an unknown field or an operator its family does not allow is refused.
///
/// # Errors
/// [`InvalidInput`] naming the field and the rule.
pub fn check_text_filter(info: &ReportInfo, field: &str, op: &str) -> Result<(), InvalidInput> {
    let Some(f) = info.fields.iter().find(|f| f.name == field) else {
        return Err(InvalidInput::new(format!("filters.{field}"), Rule::Unknown));
    };
    let allowed = operators(f.family);
    if allowed.contains(&op) {
        Ok(())
    } else {
        Err(InvalidInput::new(
            format!("filters.{field}"),
            Rule::OneOf(allowed),
        ))
    }
}

/// Checks that the filters cover one of the report's mandatory sets.
///
/// # Errors
/// [`InvalidInput`] for `filters`, listing the choices.
pub fn check_mandatory<'a>(
    info: &ReportInfo,
    fields: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<(), InvalidInput> {
    if info.mandatory_filters.is_empty() {
        return Ok(());
    }
    let covered = info.mandatory_filters.iter().any(|set| {
        set.iter()
            .all(|need| fields.clone().into_iter().any(|f| f == *need))
    });
    if covered {
        return Ok(());
    }
    let choices: Vec<String> = info
        .mandatory_filters
        .iter()
        .map(|s| s.join(" and "))
        .collect();
    Err(InvalidInput::new(
        "filters",
        Rule::Other(
            format!(
                "report {} needs a filter on {}",
                info.id,
                choices.join(" or ")
            )
            .into(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_methods_send_exactly_the_operators_of_the_table() {
        use std::collections::BTreeSet;
        let set = |ops: &[&'static str]| ops.iter().copied().collect::<BTreeSet<_>>();
        for (family, typed) in [
            (FilterFamily::Float, family::Float::TYPED),
            (FilterFamily::Int, family::Int::TYPED),
            (FilterFamily::Date, family::Date::TYPED),
            (FilterFamily::Text, family::Text::TYPED),
            (FilterFamily::Bool, family::Bool::TYPED),
            (FilterFamily::Select, family::Select::TYPED),
            (FilterFamily::Array, family::Array::TYPED),
            (FilterFamily::Daterange, family::Daterange::TYPED),
        ] {
            assert_eq!(set(typed), set(operators(family)), "{family:?}");
        }
        assert_eq!(super::super::page_size_range(), 10..=500);
    }
}
