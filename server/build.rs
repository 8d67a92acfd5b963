//! Release builds embed `target/site` (rust-embed), which cargo does not track as a
//! whole: rebuild when anything in it changes, so the binary always carries the front
//! it was built with. Debug builds read the folder at run time and need nothing.
//!
//! Naming any path here stops cargo's default of rebuilding on any change in the
//! package, so the migrations `sqlx::migrate!` embeds are named too: without it a new
//! migration file was left out of incremental builds (tests ran the previous schema).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../migrations");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../target/site");
    }
}
