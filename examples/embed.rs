//! Embedding demur in a service: one `Analyzer`, built once at start-up, shared by worker
//! threads that each analyse the conversations they receive.
//!
//! Run with `cargo run --release --example embed` after `models/setup.sh`.

use std::sync::Arc;
use std::thread;

use demur::transcript::{read_bytes, ReadOptions};
use demur::{Analyzer, AnalyzerOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Loading takes a moment (encoder, head, playbook); do it once.
    let analyzer = Arc::new(Analyzer::new(&AnalyzerOptions::default())?);

    // In a real service these would arrive as request bodies.
    let requests = [
        "Rep: Could we get the order form signed this week?\n\
         Dana: That's well over what we budgeted, and our budget is frozen until Q3.",
        "销售：我们下周可以安排上线吗？\n王经理：这个我得先跟领导汇报一下，我们这边流程比较长。",
    ];

    let workers: Vec<_> = requests
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let analyzer = Arc::clone(&analyzer);
            let body = body.to_string();
            thread::spawn(move || -> Result<String, String> {
                let source = format!("request-{i}.txt");
                let conversations = read_bytes(body.as_bytes(), &source, &ReadOptions::default());
                let mut lines = Vec::new();
                for conversation in conversations {
                    let conversation = conversation.map_err(|e| e.to_string())?;
                    let analysis = analyzer.analyze(&conversation).map_err(|e| e.to_string())?;
                    lines.push(serde_json::to_string(&analysis).map_err(|e| e.to_string())?);
                }
                Ok(lines.join("\n"))
            })
        })
        .collect();

    for worker in workers {
        match worker.join() {
            Ok(Ok(json)) => println!("{json}"),
            Ok(Err(e)) => eprintln!("request failed: {e}"),
            Err(_) => eprintln!("worker panicked"),
        }
    }
    Ok(())
}
