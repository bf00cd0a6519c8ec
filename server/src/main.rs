//! `holdfast-server`: see `holdfast-server --help`.

fn main() -> std::process::ExitCode {
    holdfast_server::cli::main()
}
