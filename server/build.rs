//! Release builds (and debug builds with the `embed-site` feature) embed `target/site`
//! (rust-embed), which cargo does not track as a whole: rebuild when anything in it
//! changes, so the binary always carries the front it was built with. Other debug
//! builds read the folder at run time and need nothing.
//!
//! Naming any path here stops cargo's default of rebuilding on any change in the
//! package, so the migrations `sqlx::migrate!` embeds are named too: without it a new
//! migration file was left out of incremental builds (tests ran the previous schema).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../migrations");
    let embeds =
        std::env::var("PROFILE").as_deref() == Ok("release") || std::env::var_os("CARGO_FEATURE_EMBED_SITE").is_some();
    if embeds {
        println!("cargo:rerun-if-changed=../target/site");
    }
}
