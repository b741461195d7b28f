//! The field macros: call sites that read like Eliot's keyword arguments.

/// Builds a field list, `&[Field]`, from `key = value` pairs.
///
/// Each value is borrowed and serialized with [`serde::Serialize`]. Keys are
/// identifiers or string literals. `key = ?value` writes the value's `Debug`
/// form and `key = %value` its `Display` form, as strings; a bare `key` means
/// `key = key`. A list or map of more than
/// [`MAX_COLLECTION_LEN`](crate::MAX_COLLECTION_LEN) items, at any depth of a
/// value, is written cut to its first items and its length (see
/// [`FieldValue`](crate::FieldValue)).
///
/// The list borrows temporaries, so build it where it is used:
///
/// ```
/// use eliot_core::{fields, start_action};
///
/// let path = std::path::Path::new("/etc/hosts");
/// let action = start_action!("app:read");
/// let size = 512;
/// action.log("app:read:done", fields!(size, "file name" = %path.display(), kind = ?Some(1)));
/// ```
#[macro_export]
macro_rules! fields {
    ($($fields:tt)*) => {
        $crate::__fields!(@list [] $($fields)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __fields {
    (@list [$($out:expr,)*] $(,)?) => {
        &[$($out,)*] as &[$crate::Field<'_>]
    };
    (@list [$($out:expr,)*] $key:ident = ? $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new(stringify!($key), &$crate::DebugValue(&$value)),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:ident = % $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new(stringify!($key), &$crate::DisplayValue(&$value)),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new(stringify!($key), &$value),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:literal = ? $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new($key, &$crate::DebugValue(&$value)),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:literal = % $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new($key, &$crate::DisplayValue(&$value)),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:literal = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new($key, &$value),] $($($rest)*)?)
    };
    (@list [$($out:expr,)*] $key:ident $(, $($rest:tt)*)?) => {
        $crate::__fields!(@list [$($out,)* $crate::Field::new(stringify!($key), &$key),] $($($rest)*)?)
    };
}

/// Logs a message in the current action: `log_message!("type", key = value, ...)`.
///
/// Outside any action the message is a task of its own. Fields follow the
/// rules of [`fields!`].
///
/// ```
/// use eliot_core::log_message;
///
/// log_message!("app:note", value = 1, name = "x");
/// log_message!("app:tick");
/// ```
#[macro_export]
macro_rules! log_message {
    ($message_type:expr $(, $($fields:tt)*)?) => {
        $crate::log_message($message_type, $crate::fields!($($($fields)*)?))
    };
}

/// Starts an action, child of the current one, and makes it current:
/// `let action = start_action!("type", key = value, ...);`
///
/// The returned [`ActionGuard`](crate::ActionGuard) finishes the action when
/// dropped. Fields follow the rules of [`fields!`].
///
/// ```
/// use eliot_core::{log_message, start_action};
///
/// let action = start_action!("app:frob", x = 1);
/// log_message!("app:frob:step");
/// action.finish();
/// ```
#[macro_export]
macro_rules! start_action {
    ($action_type:expr $(, $($fields:tt)*)?) => {
        $crate::start_action($action_type, $crate::fields!($($($fields)*)?))
    };
}

/// Starts a new task, whatever is current, and makes it current:
/// `let task = start_task!("type", key = value, ...);`
///
/// ```
/// use eliot_core::start_task;
///
/// let task = start_task!("app:request", path = "/users/7");
/// assert_eq!(task.task_level(), &[] as &[u32]);
/// ```
#[macro_export]
macro_rules! start_task {
    ($action_type:expr $(, $($fields:tt)*)?) => {
        $crate::start_task($action_type, $crate::fields!($($($fields)*)?))
    };
}
