//! Bounds on what compiling a component may cost, checked on its bytes
//! before anything is compiled.
//!
//! Cranelift cannot be interrupted once it started, and its time and memory
//! grow with the code it is given: with the total amount of code (every
//! function is compiled), and faster than linearly with the size of one
//! function and its locals (register allocation works on a whole function).
//! So the host bounds those inputs: core modules, functions (core functions
//! and the component's canonical functions, each compiled to a trampoline),
//! code bytes in all, bytes of the largest function body and locals of one
//! function. A component over any of them is refused with the bound it
//! exceeded, without compiling.

use wasmparser::{Parser, Payload};

/// The bounds (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct CompileLimits {
    /// Core modules in the component, nested ones included.
    pub max_modules: usize,
    /// Core function bodies plus canonical functions.
    pub max_functions: usize,
    /// Bytes of all function bodies.
    pub max_code_bytes: usize,
    /// Bytes of the largest function body.
    pub max_function_bytes: usize,
    /// Locals declared by one function.
    pub max_locals: u64,
}

impl Default for CompileLimits {
    /// Well above what the cards built here hold (3 core modules, at most
    /// about 1,150 functions and 290 KB of code, largest function 13 KB, at
    /// most 35 locals), and small enough that the costliest component within
    /// them compiles in seconds. Measured on the 2-core test machine (test
    /// profile): 16 functions of 128 KiB with 2,000 locals each, branching
    /// and mixing locals, compile in 18 s with 400 MB more peak memory;
    /// without these bounds 16 such functions of 256 KiB with 10,000 locals
    /// took 208 s and 2.4 GB, and a single one 11 s and 1.1 GB. A release
    /// build of a card stays far below; a debug build may not.
    fn default() -> Self {
        CompileLimits {
            max_modules: 16,
            max_functions: 20_000,
            max_code_bytes: 2 << 20,
            max_function_bytes: 128 << 10,
            max_locals: 2_000,
        }
    }
}

/// What a component holds that compiling costs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeSize {
    pub modules: usize,
    pub functions: usize,
    pub code_bytes: usize,
    pub largest_function: usize,
    pub most_locals: u64,
}

/// Why a component was not compiled.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LimitError {
    /// The bytes are not a well-formed WebAssembly binary.
    #[error("{0}")]
    Malformed(String),
    /// A bound is exceeded.
    #[error("the component has {found} {what}; this host compiles at most {limit}")]
    Exceeded {
        what: &'static str,
        found: u64,
        limit: u64,
    },
}

/// Measure `bytes`, stopping at the first bound exceeded.
pub fn check(bytes: &[u8], limits: &CompileLimits) -> Result<CodeSize, LimitError> {
    let mut size = CodeSize::default();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| LimitError::Malformed(e.to_string()))?;
        match payload {
            Payload::ModuleSection { .. } => {
                size.modules += 1;
                exceeds("core modules", size.modules, limits.max_modules)?;
            }
            Payload::ComponentCanonicalSection(reader) => {
                size.functions += reader.count() as usize;
                exceeds("functions", size.functions, limits.max_functions)?;
            }
            Payload::CodeSectionEntry(body) => {
                let len = body.range().len();
                size.functions += 1;
                size.code_bytes += len;
                size.largest_function = size.largest_function.max(len);
                exceeds("functions", size.functions, limits.max_functions)?;
                exceeds("bytes of code", size.code_bytes, limits.max_code_bytes)?;
                exceeds(
                    "bytes in its largest function",
                    len,
                    limits.max_function_bytes,
                )?;
                let mut locals = 0u64;
                let reader = body
                    .get_locals_reader()
                    .map_err(|e| LimitError::Malformed(e.to_string()))?;
                for local in reader {
                    let (count, _) = local.map_err(|e| LimitError::Malformed(e.to_string()))?;
                    locals += u64::from(count);
                }
                size.most_locals = size.most_locals.max(locals);
                if locals > limits.max_locals {
                    return Err(LimitError::Exceeded {
                        what: "locals in one function",
                        found: locals,
                        limit: limits.max_locals,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(size)
}

fn exceeds(what: &'static str, found: usize, limit: usize) -> Result<(), LimitError> {
    if found > limit {
        return Err(LimitError::Exceeded {
            what,
            found: found as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::builtin::{BUILTIN_CARDS, CARDS_DIR};

    #[test]
    fn the_built_cards_are_well_within_the_bounds() {
        let limits = CompileLimits::default();
        let tests = ["hostile_card", "versioned_card", "sleepy_card", "net_card"]
            .map(|name| std::fs::read(format!("{CARDS_DIR}/{name}.wasm")).unwrap());
        let all = BUILTIN_CARDS
            .iter()
            .map(|c| c.wasm)
            .chain(tests.iter().map(Vec::as_slice));
        for wasm in all {
            let size = check(wasm, &limits).expect("within the bounds");
            assert!(size.modules >= 1 && size.functions > 0, "{size:?}");
            assert!(size.code_bytes * 4 < limits.max_code_bytes, "{size:?}");
            assert!(
                size.largest_function * 4 < limits.max_function_bytes,
                "{size:?}"
            );
        }
    }

    #[test]
    fn each_bound_is_named_when_exceeded() {
        let wasm = BUILTIN_CARDS[0].wasm;
        let size = check(wasm, &CompileLimits::default()).unwrap();
        let cases = [
            (
                CompileLimits {
                    max_modules: size.modules - 1,
                    ..Default::default()
                },
                "core modules",
            ),
            (
                CompileLimits {
                    max_functions: 10,
                    ..Default::default()
                },
                "functions",
            ),
            (
                CompileLimits {
                    max_code_bytes: size.code_bytes - 1,
                    ..Default::default()
                },
                "bytes of code",
            ),
            (
                CompileLimits {
                    max_function_bytes: size.largest_function - 1,
                    ..Default::default()
                },
                "bytes in its largest function",
            ),
            (
                CompileLimits {
                    max_locals: size.most_locals - 1,
                    ..Default::default()
                },
                "locals in one function",
            ),
        ];
        for (limits, what) in cases {
            match check(wasm, &limits) {
                Err(LimitError::Exceeded { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{what}: {other:?}"),
            }
        }
        assert!(matches!(
            check(b"\0asm\x0d\0\x01\0\xff", &CompileLimits::default()),
            Err(LimitError::Malformed(_))
        ));
    }
}
