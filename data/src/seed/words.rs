//! Word lists the generated text is drawn from. Username parts are at most
//! 9 characters so that even a de-duplicated name (`adj_animal_42_123456`)
//! fits the 30-character limit.

pub(super) const FIRST_NAMES: &[&str] = &[
    "ada",
    "grace",
    "alan",
    "linus",
    "barbara",
    "margaret",
    "dennis",
    "ken",
    "katherine",
    "edsger",
    "donald",
    "john",
    "radia",
    "frances",
    "hedy",
    "annie",
    "tim",
    "vint",
    "bjarne",
    "guido",
    "yukihiro",
    "rob",
    "joan",
    "sophie",
    "maya",
    "omar",
    "priya",
    "kenji",
    "lena",
    "mateo",
    "amara",
    "diego",
    "noor",
    "felix",
    "ingrid",
    "tariq",
    "wei",
    "chen",
    "aisha",
    "lucas",
    "elena",
    "nikolai",
    "sven",
    "hana",
    "ravi",
    "zoe",
    "leo",
    "iris",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "lovelace",
    "hopper",
    "turing",
    "torvalds",
    "liskov",
    "hamilton",
    "ritchie",
    "thompson",
    "johnson",
    "dijkstra",
    "knuth",
    "mccarthy",
    "perlman",
    "allen",
    "lamarr",
    "easley",
    "lee",
    "cerf",
    "vanrossum",
    "matsumoto",
    "pike",
    "clarke",
    "wilson",
    "okafor",
    "patel",
    "tanaka",
    "novak",
    "garcia",
    "haddad",
    "fischer",
    "berg",
    "nakamura",
    "kim",
    "silva",
    "mensah",
    "kowalski",
    "ivanova",
    "larsen",
    "moreau",
    "santos",
    "reyes",
    "schmidt",
    "ahmed",
    "nguyen",
    "olsen",
    "costa",
    "weber",
    "dubois",
];

pub(super) const NAME_ADJECTIVES: &[&str] = &[
    "quiet", "brave", "swift", "clever", "sunny", "lucky", "curious", "bold", "gentle", "rapid",
    "cosmic", "silent", "happy", "mighty", "nimble", "witty", "calm", "eager", "fuzzy", "jolly",
    "keen", "lively", "merry", "noble", "proud", "shy", "wild", "zesty", "amber", "azure",
    "crimson", "golden", "misty", "rustic", "steady", "tiny", "vivid", "electric", "hidden",
    "frosty",
];

pub(super) const ANIMALS: &[&str] = &[
    "otter", "falcon", "panda", "koala", "lynx", "heron", "badger", "beaver", "dolphin", "gecko",
    "hedgehog", "ibis", "jaguar", "kestrel", "lemur", "marmot", "narwhal", "ocelot", "pelican",
    "quokka", "raven", "salmon", "tapir", "urchin", "walrus", "yak", "zebra", "fox", "owl", "wolf",
    "crab", "moose", "puffin", "sparrow", "tiger", "bison", "cobra", "ferret", "llama", "orca",
];

pub(super) const BIO_ROLES: &[&str] = &[
    "Backend engineer",
    "Full-stack developer",
    "Indie hacker",
    "ML engineer",
    "CS student",
    "Designer who codes",
    "Embedded engineer",
    "Data engineer",
    "Security researcher",
    "Game developer",
    "Founder",
    "Open-source maintainer",
    "Mobile developer",
    "SRE",
];

pub(super) const BIO_TAILS: &[&str] = &[
    " Shipping one small project a month.",
    " Currently learning distributed systems.",
    " Open to collaborations.",
    " Building in public.",
    " Previously at a fintech startup.",
    " Coffee, keyboards and clean APIs.",
    "",
    " Based in Berlin.",
    " Based in Lagos.",
    " Based in Bangalore.",
    " Based in Toronto.",
    " Based in Lisbon.",
    " Writing about Rust and Postgres on my blog.",
];

pub(super) const INVESTOR_BIO_1: &[&str] = &[
    "Early-stage investor backing technical founders.",
    "Angel investor and former CTO.",
    "Partner at a seed fund.",
    "Operator turned investor.",
];

pub(super) const INVESTOR_BIO_2: &[&str] = &[
    " Interested in developer tools and infrastructure.",
    " Looking for builders with real proof of work.",
    " Happy to help with hiring and go-to-market.",
    " Writes first checks, fast.",
];

pub(super) const VALIDATOR_BIO_1: &[&str] = &[
    "Staff engineer reviewing projects in my spare time.",
    "Principal engineer and long-time code reviewer.",
    "Security engineer.",
    "Design lead with a soft spot for great UX.",
];

pub(super) const VALIDATOR_BIO_2: &[&str] = &[
    " I award badges for clean code and real impact.",
    " Feedback is always constructive.",
    " Rust, Go and Postgres are my home turf.",
    " I read every README.",
];

pub(super) const LANGUAGES: &[&str] = &[
    "Rust",
    "Go",
    "Python",
    "TypeScript",
    "Zig",
    "Elixir",
    "Kotlin",
    "Swift",
    "C++",
    "Haskell",
    "OCaml",
    "Java",
    "Ruby",
    "Dart",
    "Julia",
    "Clojure",
];

pub(super) const TITLE_ADJECTIVES: &[&str] = &[
    "Realtime",
    "Tiny",
    "Blazing-Fast",
    "Minimal",
    "Distributed",
    "Async",
    "Serverless",
    "Offline-First",
    "Privacy-Focused",
    "Open-Source",
    "Self-Hosted",
    "Lightweight",
    "Collaborative",
    "Embeddable",
    "Zero-Config",
    "Type-Safe",
    "Modular",
    "Portable",
    "Incremental",
    "Reactive",
];

/// (noun phrase, category from the projects CHECK list)
pub(super) const PROJECT_NOUNS: &[(&str, &str)] = &[
    ("Log Shipper", "infra"),
    ("Task Queue", "infra"),
    ("Rate Limiter", "infra"),
    ("Load Balancer", "infra"),
    ("Container Scheduler", "infra"),
    ("Service Mesh", "infra"),
    ("Static Site Generator", "web"),
    ("Markdown Editor", "web"),
    ("URL Shortener", "web"),
    ("Blog Engine", "web"),
    ("Link Preview API", "web"),
    ("Form Builder", "web"),
    ("Habit Tracker", "mobile"),
    ("Workout Logger", "mobile"),
    ("Recipe Planner", "mobile"),
    ("Offline Notes App", "mobile"),
    ("CLI Toolkit", "devtools"),
    ("Code Formatter", "devtools"),
    ("Test Runner", "devtools"),
    ("Git Hook Manager", "devtools"),
    ("Dependency Auditor", "devtools"),
    ("Language Server", "devtools"),
    ("Build Cache", "devtools"),
    ("ETL Pipeline", "data"),
    ("Time-Series Database", "data"),
    ("CSV Explorer", "data"),
    ("Query Engine", "data"),
    ("Dashboard Builder", "data"),
    ("Chatbot", "ai"),
    ("Image Classifier", "ai"),
    ("Embedding Search", "ai"),
    ("Speech Transcriber", "ai"),
    ("Code Review Assistant", "ai"),
    ("Recommendation Engine", "ai"),
    ("Password Manager", "security"),
    ("Secrets Scanner", "security"),
    ("Fuzzing Harness", "security"),
    ("2FA Authenticator", "security"),
    ("Weather Station", "hardware"),
    ("Keyboard Firmware", "hardware"),
    ("Drone Controller", "hardware"),
    ("Home Automation Hub", "hardware"),
    ("Roguelike Game", "games"),
    ("Voxel Engine", "games"),
    ("Multiplayer Chess Server", "games"),
    ("Pixel Art Editor", "games"),
    ("Budget Tracker", "fintech"),
    ("Invoice Generator", "fintech"),
    ("Payment Gateway", "fintech"),
    ("Portfolio Tracker", "fintech"),
    ("Personal Wiki", "other"),
    ("Book Tracker", "other"),
    ("Podcast Player", "other"),
];

pub(super) const BRANDS: &[&str] = &[
    "Ferrite", "Lumen", "Quill", "Nimbus", "Kestrel", "Orbit", "Tinker", "Sprocket", "Beacon",
    "Pylon", "Helix", "Cobalt", "Marble", "Juniper", "Vector", "Prism", "Anvil", "Basalt",
    "Cinder", "Drift",
];

pub(super) const AUDIENCES: &[&str] = &[
    "Freelancers",
    "Small Teams",
    "Students",
    "Researchers",
    "Homelabs",
    "Indie Hackers",
    "Open-Source Maintainers",
    "Remote Teams",
];

pub(super) const PROJECT_FEATURES: &[&str] = &[
    "It streams structured events over WebSockets and survives restarts without losing data.",
    "Ships as a single static binary with zero runtime dependencies.",
    "Includes a CLI, a small web UI and a test suite with 90% coverage.",
    "Benchmarks show a 4x throughput improvement over the previous version.",
    "Designed for low memory usage on a Raspberry Pi.",
    "Uses Postgres for storage and Redis for caching.",
    "Everything is documented, with a getting-started guide and examples.",
    "Handles 10k requests per second on a single core.",
    "Comes with a plugin API and three example plugins.",
    "Works offline and syncs when the network comes back.",
];

pub(super) const PROJECT_STATUS: &[&str] = &[
    "Built over three weekends.",
    "Currently used by a handful of teams in production.",
    "Looking for contributors and feedback!",
    "Next up: plugin support and better error messages.",
    "MIT licensed.",
    "Started as a hackathon project and kept growing.",
    "Version 1.0 just landed.",
];

pub(super) const COMMENT_OPENERS: &[&str] = &[
    "Really impressive work!",
    "Love this.",
    "Nice project!",
    "This is neat.",
    "Great write-up.",
    "Solid execution.",
    "Clean code, easy to follow.",
    "Starred!",
    "Interesting approach.",
];

pub(super) const COMMENT_MIDDLES: &[&str] = &[
    " How does it handle backpressure?",
    " Did you consider using Postgres for storage?",
    " The README made it easy to get started.",
    " Would love to see benchmarks against the alternatives.",
    " What was the hardest part to build?",
    " Is there a roadmap somewhere?",
    " The Rust version is impressively fast.",
    " I tried it on my laptop and it just worked.",
    " Any plans for a plugin system?",
    " How are you testing the concurrency bits?",
];

pub(super) const COMMENT_CLOSERS: &[&str] = &[
    "",
    " Keep shipping!",
    " Following for updates.",
    " Happy to help with docs.",
    " Great job.",
];

pub(super) const REPLY_OPENERS: &[&str] = &[
    "Thanks!",
    "Good question.",
    "Appreciate it!",
    "Agreed.",
    "+1.",
];

pub(super) const REPLY_BODIES: &[&str] = &[
    " I'll add benchmarks this week.",
    " It uses a bounded channel, so producers slow down.",
    " Not yet, but it's on the roadmap.",
    " PRs welcome!",
    " I had the same question.",
    " Check the docs folder, there's a guide.",
    " Rewriting that part in Rust made a big difference.",
];

pub(super) const NOTES_CODE: &[&str] = &[
    "Clean module boundaries and thorough tests.",
    "Idiomatic code with great error handling.",
    "Easy to read, well documented.",
];

pub(super) const NOTES_INNOVATION: &[&str] = &[
    "A fresh take on an old problem.",
    "Clever use of incremental computation.",
    "Haven't seen this approach before.",
];

pub(super) const NOTES_IMPACT: &[&str] = &[
    "Already used by real teams.",
    "Solves a painful problem for many developers.",
    "Measurable performance wins.",
];

pub(super) const NOTES_DESIGN: &[&str] = &[
    "Polished, accessible interface.",
    "Thoughtful onboarding and empty states.",
    "Consistent and calm visual design.",
];

pub(super) const NOTES_SECURITY: &[&str] = &[
    "Careful input validation and safe defaults.",
    "Secrets handled properly; dependencies audited.",
    "Threat model documented in the README.",
];

/// (name, category); the first two are always present, the rest shuffled.
pub(super) const CHAIN_NAMES: &[(&str, &str)] = &[
    ("Rust Builders", "devtools"),
    ("AI Tinkerers", "ai"),
    ("Indie Hackers Guild", "other"),
    ("Web Performance Club", "web"),
    ("Postgres Enthusiasts", "data"),
    ("Open Source Maintainers", "devtools"),
    ("Hardware Hackers", "hardware"),
    ("Game Jam Crew", "games"),
    ("Fintech Founders", "fintech"),
    ("Security Researchers", "security"),
    ("Mobile Makers", "mobile"),
    ("Data Engineering Circle", "data"),
    ("Kubernetes Operators", "infra"),
    ("WebAssembly Pioneers", "web"),
    ("LLM Builders", "ai"),
    ("Functional Programmers", "devtools"),
    ("Elixir Alchemists", "web"),
    ("Go Gophers", "infra"),
    ("Python Pros", "data"),
    ("TypeScript Crafters", "web"),
    ("Zig Zealots", "devtools"),
    ("Embedded Rustaceans", "hardware"),
    ("Self-Hosting Homelab", "infra"),
    ("DevOps Dojo", "infra"),
    ("Frontend Artisans", "web"),
    ("Design Engineers", "web"),
    ("Computer Vision Lab", "ai"),
    ("Robotics Garage", "hardware"),
    ("Climate Tech Builders", "other"),
    ("Edtech Makers", "other"),
    ("Privacy First", "security"),
    ("CTF Players", "security"),
    ("Cryptography Corner", "security"),
    ("Indie Game Devs", "games"),
    ("Procedural Generation", "games"),
    ("Retro Computing", "hardware"),
    ("Keyboard Builders", "hardware"),
    ("Open Data Collective", "data"),
    ("Analytics Engineers", "data"),
    ("MLOps Guild", "ai"),
    ("Prompt Engineers", "ai"),
    ("Startup Founders", "fintech"),
    ("Bootstrappers", "other"),
    ("Solo SaaS", "web"),
    ("No-Code Hackers", "other"),
    ("iOS Developers", "mobile"),
    ("Android Developers", "mobile"),
    ("Flutter Friends", "mobile"),
    ("React Native Crew", "mobile"),
    ("Payments Engineers", "fintech"),
    ("DeFi Builders", "fintech"),
    ("Quant Coders", "fintech"),
    ("Compiler Nerds", "devtools"),
    ("Database Internals", "data"),
    ("Distributed Systems Reading Group", "infra"),
    ("SRE Stories", "infra"),
    ("Accessibility Advocates", "web"),
    ("Technical Writers", "other"),
    ("Hackathon Winners", "other"),
    ("First-Time Contributors", "devtools"),
    ("CLI Craft", "devtools"),
    ("Audio Programming", "other"),
    ("Creative Coding", "other"),
    ("Bioinformatics Builders", "data"),
    ("Space Tech", "hardware"),
    ("IoT Makers", "hardware"),
    ("Browser Extension Builders", "web"),
    ("API Designers", "web"),
    ("Observability Nerds", "infra"),
    ("Edge Computing", "infra"),
];

pub(super) const CHAIN_DESC_1: &[&str] = &[
    "A community for ",
    "The home of ",
    "A friendly place for ",
    "A chain for ",
];

pub(super) const CHAIN_DESC_2: &[&str] = &[
    "Share what you are building, ask questions and find collaborators.",
    "Weekly demo threads, code reviews and honest feedback.",
    "Post your projects, get badges from validators and meet investors.",
    "Beginners welcome: ask anything, show everything.",
];

pub(super) const POST_QUESTION: &[&str] = &[
    "How do you handle ",
    "Best resources for ",
    "Anyone experienced with ",
    "Struggling with ",
];

pub(super) const POST_DISCUSSION: &[&str] = &[
    "Thoughts on ",
    "Hot take: we overthink ",
    "Lessons learned from ",
    "Weekly thread: ",
];

pub(super) const POST_SHOWCASE: &[&str] =
    &["Show: I built a ", "Launched: a ", "Feedback wanted on my "];

pub(super) const POST_ANNOUNCEMENT: &[&str] = &[
    "Welcome! Read this before posting",
    "Monthly demo day: sign-ups open",
    "Community guidelines update",
    "New moderators joining the team",
];

pub(super) const POST_TOPICS: &[&str] = &[
    "error handling",
    "async runtimes",
    "deploying to the edge",
    "database migrations",
    "testing strategies",
    "pricing a side project",
    "finding first users",
    "writing good docs",
    "observability",
    "memory leaks",
    "CI pipelines",
    "onboarding contributors",
    "fine-tuning small models",
    "vector search",
    "state management",
    "learning Rust",
];

pub(super) const POST_BODY_1: &[&str] = &[
    "I've been thinking about this for a while.",
    "Context: small team, tight deadlines.",
    "Long-time lurker, first post here.",
    "Sharing in case it helps someone.",
    "Quick one today.",
];

pub(super) const POST_BODY_2: &[&str] = &[
    " We tried two approaches and both had trade-offs.",
    " The Rust ecosystem has great tooling for this, but the learning curve is real.",
    " Our current setup works but feels fragile.",
    " I wrote up notes in the README.",
    " Benchmarks are in the repo if you want to dig in.",
];

pub(super) const POST_BODY_3: &[&str] = &[
    " What has worked for you?",
    " Would love feedback.",
    " Links and resources welcome.",
    " Happy to answer questions.",
    " Let's discuss below.",
];

pub(super) const FORUM_REPLY_1: &[&str] = &[
    "Great point.",
    "We had the same problem.",
    "Thanks for sharing!",
    "Interesting.",
    "Hard agree.",
    "I respectfully disagree.",
];

pub(super) const FORUM_REPLY_2: &[&str] = &[
    " We ended up using a queue and it fixed most issues.",
    " Have you looked at the official docs on this?",
    " Bookmarking this thread.",
    " A small benchmark would settle it.",
    " I can share our config if useful.",
    " This is why I love this chain.",
];

pub(super) const DM_OPENERS: &[&str] = &[
    "Hey!",
    "Hi there,",
    "Hello!",
    "Thanks for the follow!",
    "Quick question:",
];

pub(super) const DM_BODIES: &[&str] = &[
    " I saw your project on the feed and loved it.",
    " Would you be up for a quick call this week?",
    " Are you open to collaborating on the next version?",
    " How did you set up your CI for the Rust crate?",
    " Thanks for the feedback on my project, I pushed a fix.",
    " Do you have a demo link I could share with my team?",
    " Let me know if you want an intro to the folks in our chain.",
];

pub(super) const DM_CLOSERS: &[&str] = &["", " Cheers!", " Thanks!", " Talk soon.", " No rush."];

pub(super) const COMPANY_WORDS: &[&str] = &[
    "Northwind",
    "Bluebird",
    "Granite",
    "Lighthouse",
    "Maple",
    "Harbor",
    "Summit",
    "Foundry",
    "Orbit",
    "Cedar",
    "Atlas",
    "Beacon",
    "Compass",
    "Keystone",
    "Redwood",
    "Tidal",
];

pub(super) const COMPANY_KINDS: &[&str] = &[
    "Capital",
    "Ventures",
    "Partners",
    "Seed Fund",
    "Labs",
    "Angels",
];

pub(super) const INVESTMENT_FOCUS: &[&str] = &[
    "Developer tools",
    "AI infrastructure",
    "Fintech",
    "Climate tech",
    "Open-source companies",
    "B2B SaaS",
    "Security",
    "Consumer mobile",
    "Data platforms",
    "Hardware",
];

pub(super) const TICKET_SIZES: &[&str] = &[
    "$25k-$100k",
    "$50k-$250k",
    "$100k-$500k",
    "$250k-$1M",
    "$1M-$3M",
];

pub(super) const INTRO_CLOSERS: &[&str] = &[
    "Would you be open to a 20-minute intro call?",
    "Could we set up a quick chat next week?",
    "I'd love to hear what you're planning next.",
    "Happy to share how we usually help founders at this stage.",
];

pub(super) const REPORT_PROJECT: &[&str] = &[
    "Spam: the link points to an unrelated commercial site.",
    "This looks copied from another repository without credit.",
    "The proof-of-work link is broken.",
    "Misleading title; the project does something else.",
    "Duplicate of an existing project by the same user.",
];

pub(super) const REPORT_COMMENT: &[&str] = &[
    "Rude and off-topic comment.",
    "Spam link in the comment.",
    "Harassment towards the project author.",
    "Self-promotion unrelated to the project.",
];

pub(super) const REPORT_USER: &[&str] = &[
    "Impersonating a well-known developer.",
    "Creates spam projects repeatedly.",
    "Sends unsolicited promotional messages.",
];

pub(super) const REPORT_POST: &[&str] = &[
    "Off-topic for this chain.",
    "Recruiting spam.",
    "Contains a phishing link.",
    "Duplicate post.",
];

pub(super) const REPORT_FEEDBACK: &[&str] = &[
    "The search page could use filters by category.",
    "Love the new chains feature!",
    "Dark mode please.",
    "Notifications sometimes arrive late.",
    "It would be great to export my projects as JSON.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_parts_fit_the_limit() {
        for list in [FIRST_NAMES, LAST_NAMES, NAME_ADJECTIVES, ANIMALS] {
            for word in list {
                assert!(word.len() <= 9, "{word} is too long for a username part");
                assert!(word.chars().all(|c| c.is_ascii_lowercase()), "{word}");
            }
        }
    }

    #[test]
    fn chain_names_are_unique_case_insensitively() {
        let mut names: Vec<String> = CHAIN_NAMES.iter().map(|(n, _)| n.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CHAIN_NAMES.len());
    }
}
