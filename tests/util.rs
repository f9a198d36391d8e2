//! Helpers shared by the integration tests: a fresh temporary folder per test, the `restday`
//! binary, in-memory zip / gzip builders and Parquet readers.

use polars::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root, where `data/` lives.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn data(rel: &str) -> PathBuf {
    root().join("data").join(rel)
}

pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A temporary folder with a data folder inside, removed when dropped.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path("restday-data")
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `restday --data-dir <tmp>/restday-data ARGS...`
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_restday"));
        c.arg("--data-dir").arg(self.data_dir()).env_remove("RESTDAY_DATA").env("NO_COLOR", "1");
        c
    }

    pub fn import(&self, paths: &[&Path]) -> Output {
        let out = self.cmd().arg("import").args(paths).output().unwrap();
        eprintln!("stdout: {}", String::from_utf8_lossy(&out.stdout));
        eprintln!("stderr: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Imports `paths`, requires exit code 0, and returns what the import printed.
    pub fn import_ok(&self, paths: &[&Path]) -> String {
        let out = self.import(paths);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn table(&self, name: &str) -> DataFrame {
        let p = self.data_dir().join(name);
        let f = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        ParquetReader::new(f).finish().unwrap()
    }

    /// Every sample part, read as one frame.
    pub fn samples(&self) -> DataFrame {
        self.parts("samples")
    }

    /// Every wellness-reading part, read as one frame.
    pub fn readings(&self) -> DataFrame {
        self.parts("wellness_readings")
    }

    /// Every part under a folder of the dataset, read as one frame.
    pub fn parts(&self, folder: &str) -> DataFrame {
        let mut parts = Vec::new();
        collect(&self.data_dir().join(folder), &mut parts);
        parts.sort();
        let mut out: Option<DataFrame> = None;
        for p in parts {
            let df = ParquetReader::new(std::fs::File::open(&p).unwrap()).finish().unwrap();
            out = Some(match out {
                Some(o) => o.vstack(&df).unwrap(),
                None => df,
            });
        }
        out.unwrap_or_default()
    }

    /// The ledger as (path, outcome) pairs, sorted by path.
    /// The ledger (`imports.parquet`), a row per file seen, by path.
    pub fn ledger(&self) -> Vec<Entry> {
        let df = self.table("imports.parquet");
        let (p, o, e) = (strs(&df, "path"), strs(&df, "outcome"), strs(&df, "error"));
        let partial = df.column("partial").unwrap().bool().unwrap().clone();
        let mut v: Vec<Entry> = (0..df.height())
            .map(|i| Entry {
                path: p[i].clone().unwrap(),
                outcome: o[i].clone().unwrap(),
                partial: partial.get(i).unwrap(),
                error: e[i].clone().unwrap_or_default(),
            })
            .collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    /// The ledger row of the one path ending in `suffix`.
    pub fn entry(&self, suffix: &str) -> Entry {
        let ledger = self.ledger();
        let mut found = ledger.iter().filter(|r| r.path.ends_with(suffix));
        match (found.next(), found.next()) {
            (Some(r), None) => r.clone(),
            _ => panic!("not one ledger row ends with {suffix}: {ledger:?}"),
        }
    }

    pub fn outcomes(&self) -> Vec<(String, String)> {
        let df = self.table("imports.parquet");
        let mut v: Vec<(String, String)> = strs(&df, "path")
            .into_iter()
            .zip(strs(&df, "outcome"))
            .map(|(p, o)| (p.unwrap(), o.unwrap()))
            .collect();
        v.sort();
        v
    }
}

/// One row of the ledger, as the tests read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub path: String,
    pub outcome: String,
    pub partial: bool,
    /// The reason, empty when there is none.
    pub error: String,
}

impl Entry {
    /// The file name: the path after its last `/`.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap()
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
}

/// A zip archive of (name, bytes) entries, deflated.
pub fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn strs(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    df.column(col).unwrap().str().unwrap().iter().map(|s| s.map(String::from)).collect()
}

pub fn i64s(df: &DataFrame, col: &str) -> Vec<Option<i64>> {
    let c = df.column(col).unwrap().cast(&DataType::Int64).unwrap();
    c.i64().unwrap().iter().collect()
}

pub fn f64s(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    let c = df.column(col).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().iter().collect()
}
