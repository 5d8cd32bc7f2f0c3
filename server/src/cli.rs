//! The command line: `serve`, `migrate`, `seed`, `reconcile`, `create-admin`.

use clap::{Parser, Subcommand};

use crate::config::{DbConfig, ServeConfig};
use crate::startup::{connect_and_migrate, Application};
use data::refresher::CatchUp;

#[derive(Debug, Parser)]
#[command(
    name = "server",
    about = "Proofwork: the web server and its maintenance commands"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, then serve the site.
    Serve {
        #[command(flatten)]
        db: DbConfig,
        #[command(flatten)]
        serve: ServeConfig,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbConfig,
    },
    /// Load demo data into an empty database.
    Seed {
        #[command(flatten)]
        db: DbConfig,
        /// 1.0 = 5,000 users and 10,000 projects.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Random seed: the same seed loads the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Recompute every trigger-maintained value from the source rows and
    /// compare every materialized view with its defining query; report the
    /// differences (and record them for the admin page). `--repair` rewrites
    /// the counters that differ. Exits 1 when a counter differs (without
    /// `--repair`) or a view drifted (differs while considered up to date).
    Reconcile {
        #[command(flatten)]
        db: DbConfig,
        /// Rewrite the trigger-maintained rows that differ.
        #[arg(long)]
        repair: bool,
        /// Skip the comparison of the views with their definitions.
        #[arg(long)]
        skip_views: bool,
    },
    /// Create an admin account (or promote the matching existing one).
    /// The password is read from PROOFWORK_ADMIN_PASSWORD or standard input.
    CreateAdmin {
        #[command(flatten)]
        db: DbConfig,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, serve } => {
            let pool = connect_and_migrate(&db).await?;
            prepare_database(&pool, &serve).await?;
            let app = Application::build(pool, &serve).await?;
            tracing::info!("listening on http://{}", app.addr);
            println!("Proofwork is serving on http://{}", app.addr);
            app.run().await?;
        }
        Command::Migrate { db } => {
            connect_and_migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Seed { db, scale, seed } => {
            let pool = connect_and_migrate(&db).await?;
            if !data::seed::is_empty(&pool).await? {
                anyhow::bail!("the database already has users; seed only loads an empty database");
            }
            load_demo_data(&pool, scale, seed).await?;
            bring_views_up_to_date(&pool, CatchUp::Stale).await?;
        }
        Command::Reconcile {
            db,
            repair,
            skip_views,
        } => {
            let pool = connect_and_migrate(&db).await?;
            let bar = indicatif::ProgressBar::new(1);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let on_progress = {
                let bar = bar.clone();
                move |p: data::reconcile::Progress<'_>| {
                    bar.set_length(p.total as u64);
                    bar.set_position(p.done as u64);
                    bar.set_message(p.step.to_string());
                }
            };
            let opts = data::reconcile::RunOptions {
                repair,
                views: !skip_views,
                triggered_by: data::reconcile::RunBy::Cli,
                run_by: format!("cli@pid{}", std::process::id()),
            };
            let report = data::reconcile::run(&pool, &opts, &on_progress).await?;
            bar.finish_and_clear();
            print!("{report}");
            if (report.total_differences() > 0 && !report.repaired) || report.views_drifted() > 0 {
                std::process::exit(1);
            }
        }
        Command::CreateAdmin {
            db,
            username,
            email,
        } => {
            let password = match std::env::var("PROOFWORK_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprint!("Password for {username}: ");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let pool = connect_and_migrate(&db).await?;
            let new = data::users::NewUser {
                username,
                email,
                password,
            };
            match data::users::create_or_promote_admin(&pool, &new).await {
                Ok(user) => println!("admin {} ({}) is ready", user.username, user.id),
                Err(data::Error::Invalid(errors)) => {
                    for (field, msg) in errors {
                        eprintln!("{field}: {msg}");
                    }
                    anyhow::bail!("admin not created");
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(())
}

/// What `serve` does before it listens: demo data when asked for and the
/// database is empty, then every view the pages read brought up to date
/// (all of them after loading demo data, else only those never
/// populated), so that "serving" means the pages show the data.
pub async fn prepare_database(pool: &data::PgPool, serve: &ServeConfig) -> anyhow::Result<()> {
    let seeded = serve.demo_data && seed_if_empty(pool, serve.demo_scale, serve.demo_seed).await?;
    let which = if seeded {
        CatchUp::Stale
    } else {
        CatchUp::Unpopulated
    };
    bring_views_up_to_date(pool, which).await
}

async fn bring_views_up_to_date(pool: &data::PgPool, which: CatchUp) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let outcomes = data::refresher::bring_up_to_date(pool, which).await?;
    if !outcomes.is_empty() {
        tracing::info!(
            views = outcomes.len(),
            took_ms = started.elapsed().as_millis() as u64,
            "views brought up to date before serving"
        );
    }
    Ok(())
}

/// Loads demo data if the database has no users; true if it did.
async fn seed_if_empty(pool: &data::PgPool, scale: f64, seed: u64) -> anyhow::Result<bool> {
    if !data::seed::is_empty(pool).await? {
        return Ok(false);
    }
    println!("The database is empty: loading demo data (scale {scale}, seed {seed}).");
    load_demo_data(pool, scale, seed).await?;
    Ok(true)
}

async fn load_demo_data(pool: &data::PgPool, scale: f64, seed: u64) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let on_step = {
        let bar = bar.clone();
        move |step: data::seed::SeedStep| {
            bar.set_length(step.total as u64);
            bar.set_position(step.index as u64);
            bar.set_message(step.name);
        }
    };
    let opts = data::seed::SeedOptions { scale, seed };
    let report = data::seed::seed(pool, &opts, &on_step).await?;
    bar.finish_with_message("done");
    println!("Demo data loaded in {:.1} s:", report.elapsed.as_secs_f64());
    for (table, count) in &report.counts {
        println!("  {table:<24} {count:>8}");
    }
    println!("Demo accounts (password: {}):", data::seed::DEMO_PASSWORD);
    for account in data::seed::DEMO_ACCOUNTS {
        println!("  {:<16} {}", account.username, account.role);
    }
    Ok(())
}
