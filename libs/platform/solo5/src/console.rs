//! The console: hvt `PUTS` hypercall, spt `write(1)`.

use core::fmt;

/// Writes raw bytes to the console.
pub fn write(bytes: &[u8]) {
    crate::platform::puts(bytes);
}

/// A `fmt::Write` sink for the console, unbuffered.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write(s.as_bytes());
        Ok(())
    }
}

/// Formats to the console. Used by the `print!`/`println!` macros.
pub fn write_fmt(args: fmt::Arguments<'_>) {
    // Writing to the console cannot fail.
    let _ = fmt::Write::write_fmt(&mut Console, args);
}

/// Prints to the Solo5 console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the Solo5 console.
#[macro_export]
macro_rules! println {
    () => { $crate::console::write(b"\n") };
    ($($arg:tt)*) => {{
        $crate::console::write_fmt(format_args!($($arg)*));
        $crate::console::write(b"\n");
    }};
}
