//! The Parquet schema of every table, in one place, and the conversions between the model and
//! Polars data frames. `docs/tables.md` documents these columns for the people who read them.

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_parquet::parquet::error::{ParquetError, ParquetResult};
use polars_parquet::parquet::page::DataPage;
use polars_parquet::parquet::schema::types::PrimitiveType;
use polars_parquet::write::{CompressedPage, Encoding, Page, ParquetType};
use restday_model::{Activity, LedgerRow, Outcome, SampleColumn, Samples, WellnessRow};

/// An activity as stored: the model's activity (without samples once read back) and where it
/// came from.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredActivity {
    pub id: String,
    pub file_hash: String,
    pub source_path: String,
    pub format: String,
    pub activity: Activity,
    pub sample_count: i64,
    pub commit_id: i64,
}

/// One file's wellness readings, with the file's hash and path: the rows as the decoder made
/// them (a FIT file of R-R intervals has thousands), moved along with the file, not copied into
/// a row each with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredWellness {
    pub rows: Vec<WellnessRow>,
    pub file_hash: String,
    pub source_path: String,
}

/// How many readings `files` hold.
pub fn readings(files: &[StoredWellness]) -> usize {
    files.iter().map(|f| f.rows.len()).sum()
}

fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

fn datetime_col(name: &str, values: Vec<Option<i64>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&utc())
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df.column(name)?.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

fn i64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

fn i32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    let c = df.column(name)?.cast(&DataType::Int32)?;
    Ok(c.i32()?.iter().collect())
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// `samples/year=YYYY/part-<commit>.parquet`: one row per sample.
pub fn samples_frame(rows: &[(&str, &Samples)]) -> PolarsResult<DataFrame> {
    let n: usize = rows.iter().map(|(_, s)| s.len()).sum();
    let mut df = heart_rate_frame(rows)?;
    df.hstack_mut(&[
        column::<Float64Type>("distance_m", rows, n, |s| &s.distance_m),
        column::<Float64Type>("speed_m_s", rows, n, |s| &s.speed_m_s),
        column::<Float64Type>("altitude_m", rows, n, |s| &s.altitude_m),
        column::<Float64Type>("latitude", rows, n, |s| &s.latitude),
        column::<Float64Type>("longitude", rows, n, |s| &s.longitude),
        column::<Int32Type>("cadence", rows, n, |s| &s.cadence),
        column::<Int32Type>("power", rows, n, |s| &s.power),
        column::<Float64Type>("temperature_c", rows, n, |s| &s.temperature_c),
    ])?;
    Ok(df)
}

/// Writes the samples of `rows` as one Parquet file (one row group): the same columns and types
/// as [`samples_frame`], written through Polars' Parquet writer one level down (see
/// `write_part`) so that each column gets the encoding that suits it, without Polars'
/// per-column trials:
/// - `activity_id` as a dictionary of the part's activity ids and one small key per row (the
///   frame's way builds a string per row, estimates its cardinality and hashes every row into a
///   dictionary: a third of the import's staging time);
/// - `time` delta-encoded;
/// - the other columns plain, `heart_rate`, `cadence` and `power` too: zstd packs their few
///   hundred values about as tightly as a dictionary (parts 0.3 % larger on the sample data),
///   and building the dictionaries (minimum, maximum, keys, their bit-packing) was 7 % of a
///   generated import's instructions.
///
/// Minimum and maximum statistics for the columns a reader filters parts by (the activity, the
/// time, the heart rate); null counts only for the other measures, whose minimum and maximum
/// took a sixth of the writing.
pub fn write_samples<W: std::io::Write>(rows: &[(&str, &Samples)], out: W) -> PolarsResult<()> {
    use polars_arrow::datatypes::ArrowDataType as A;
    let n: usize = rows.iter().map(|(_, s)| s.len()).sum();
    let mut keys = Vec::with_capacity(n);
    for (i, (_, s)) in rows.iter().enumerate() {
        keys.extend(std::iter::repeat_n(i as u32, s.len()));
    }
    let ts = A::Timestamp(polars_arrow::datatypes::TimeUnit::Millisecond, Some("UTC".into()));
    let (f, i) = (&A::Float64, &A::Int32);
    let (plain, dict) = (Encoding::Plain, Encoding::RleDictionary);
    let ids = Source::Array(ids_by_key(PrimitiveArray::from_vec(keys), rows)?);
    let columns = vec![
        (ids, dict, true),
        (sampled(rows, n, &ts, |s| &s.time_ms), Encoding::DeltaBinaryPacked, true),
        (sampled(rows, n, i, |s| &s.heart_rate), plain, true),
        (sampled(rows, n, f, |s| &s.distance_m), plain, false),
        (sampled(rows, n, f, |s| &s.speed_m_s), plain, false),
        (sampled(rows, n, f, |s| &s.altitude_m), plain, false),
        (sampled(rows, n, f, |s| &s.latitude), plain, false),
        (sampled(rows, n, f, |s| &s.longitude), plain, false),
        (sampled(rows, n, i, |s| &s.cadence), plain, false),
        (sampled(rows, n, i, |s| &s.power), plain, false),
        (sampled(rows, n, f, |s| &s.temperature_c), plain, false),
    ];
    let compression = polars_parquet::write::CompressionOptions::Zstd(None);
    write_sources(out, samples_frame(&[])?.schema(), columns, n, compression)
}

/// Writes the per-activity figures that a [`crate::Summarize`] function made from
/// [`keyed_heart_rate_frame`]`(rows)` (keyed by [`ACTIVITY_KEY`]) as one Parquet file, with
/// `activity_id` in the key's place: a dictionary of `ids` (those of `rows`) and the keys, so no
/// string is made per row. Integer columns are dictionary-encoded, the others plain; minimum
/// and maximum for the id and the heart rate.
pub fn write_figures<W: std::io::Write>(
    figures: &DataFrame,
    ids: &[&str],
    out: W,
) -> PolarsResult<()> {
    let mut schema = Schema::with_capacity(figures.width());
    let mut columns = Vec::with_capacity(figures.width());
    for c in figures.columns() {
        let series = c.as_materialized_series().rechunk();
        if c.name().as_str() == ACTIVITY_KEY {
            let keys = series.cast(&DataType::UInt32)?;
            let keys = keys.u32()?.downcast_iter().next().cloned();
            let keys = keys.unwrap_or_else(|| PrimitiveArray::from_vec(vec![]));
            schema.insert("activity_id".into(), DataType::String);
            columns.push((dictionary(keys, ids)?, Encoding::RleDictionary, true));
            continue;
        }
        let integer = c.dtype().is_integer();
        let encoding = if integer { Encoding::RleDictionary } else { Encoding::Plain };
        schema.insert(c.name().clone(), c.dtype().clone());
        let array = series.to_arrow(0, CompatLevel::newest());
        columns.push((array, encoding, c.name().as_str() == "heart_rate"));
    }
    write_part(out, &schema, columns, figures.height())
}

/// A string column of activity ids as a dictionary: the ids of `rows`, and each row's key (its
/// activity's place in `rows`). A key past the end is an error.
fn ids_by_key(
    keys: PrimitiveArray<u32>,
    rows: &[(&str, &Samples)],
) -> PolarsResult<Box<dyn Array>> {
    let ids: Vec<&str> = rows.iter().map(|(id, _)| *id).collect();
    dictionary(keys, &ids)
}

/// A string column as a dictionary: `values`, and each row's key into them. A key past the end
/// is an error.
fn dictionary(keys: PrimitiveArray<u32>, values: &[&str]) -> PolarsResult<Box<dyn Array>> {
    use polars_arrow::array::{DictionaryArray, Utf8ViewArray};
    use polars_arrow::datatypes::{ArrowDataType, IntegerType};
    // A column with no value at all still gets a (never used) dictionary entry.
    let values = if values.is_empty() { &[""][..] } else { values };
    // Every key in range, missing rows' too (the dictionary array checks them all): one pass
    // over the buffer, not an iterator over the validity bits (a percent of an import).
    if let Some(&k) = keys.values().iter().max()
        && k as usize >= values.len()
    {
        polars_bail!(OutOfBounds: "dictionary key {k} with {} values", values.len());
    }
    let dtype =
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Utf8View), false);
    let values = Utf8ViewArray::from_slice_values(values).boxed();
    Ok(DictionaryArray::<u32>::try_new(dtype, keys, values)?.boxed())
}

/// Each row's key into a dictionary of the distinct values `of` gives, in order of first
/// appearance (`None` is a missing row), for `n` rows. `same` tells two values apart cheaply.
fn keys_of<'a, R: 'a, V: Copy + 'a>(
    rows: impl IntoIterator<Item = &'a R>,
    n: usize,
    of: impl Fn(&'a R) -> Option<(V, usize)>,
    same: impl Fn(V, V) -> bool,
) -> (PrimitiveArray<u32>, Vec<V>) {
    let mut values: Vec<V> = Vec::new();
    let mut keys = Vec::with_capacity(n);
    let mut valid = polars_arrow::bitmap::MutableBitmap::with_capacity(n);
    // Rows come in runs of one file: the last key is tried first.
    let mut last: Option<u32> = None;
    for r in rows {
        let Some((v, times)) = of(r) else {
            keys.push(0);
            valid.push(false);
            continue;
        };
        // Past 64 distinct values a new run is a new entry, without a search (a dictionary
        // may hold a value twice).
        let seen = || (values.len() < 64).then(|| values.iter().position(|&x| same(x, v)))?;
        let k = match last.filter(|&k| same(values[k as usize], v)) {
            Some(k) => k,
            None => match seen() {
                Some(k) => k as u32,
                None => {
                    values.push(v);
                    values.len() as u32 - 1
                }
            },
        };
        last = Some(k);
        keys.extend(std::iter::repeat_n(k, times));
        valid.extend_constant(times, true);
    }
    let validity = (valid.unset_bits() > 0).then(|| valid.into());
    (
        PrimitiveArray::new(polars_arrow::datatypes::ArrowDataType::UInt32, keys.into(), validity),
        values,
    )
}

/// Writes one Parquet file of one row group of `n` rows: the columns of `schema`, in order,
/// each from an Arrow array with its encoding and whether to write its minimum and maximum
/// (null counts are always written). A dictionary array goes out as dictionary pages under the
/// schema's plain type, so readers see an ordinary column, as from Polars' own writer (whose
/// path this is, one level down: it picks each column's encoding by trying a dictionary first).
fn write_part<W: std::io::Write>(
    out: W,
    schema: &Schema,
    columns: Vec<(Box<dyn Array>, Encoding, bool)>,
    n: usize,
) -> PolarsResult<()> {
    write_columns(out, schema, columns, n, polars_parquet::write::CompressionOptions::Zstd(None))
}

/// [`write_part`] with the compression given: zstd through [`compress_page`], anything else
/// through Polars' `compress`.
fn write_columns<W: std::io::Write>(
    out: W,
    schema: &Schema,
    columns: Vec<(Box<dyn Array>, Encoding, bool)>,
    n: usize,
    compression: polars_parquet::write::CompressionOptions,
) -> PolarsResult<()> {
    let columns = columns.into_iter().map(|(a, e, m)| (Source::Array(a), e, m)).collect();
    write_sources(out, schema, columns, n, compression)
}

/// Where a column [`write_sources`] writes comes from.
enum Source<'a> {
    /// An Arrow array: its pages by hand where [`pages_by_hand`] takes it, else Polars'.
    Array(Box<dyn Array>),
    /// Pages built from the data where it lies, given the column's Parquet type, its encoding
    /// and whether to give minimum and maximum (see [`sampled`]); or, for a column they cannot
    /// be built for, the data as an array.
    Built(BuildPages<'a>),
}

type BuildPages<'a> =
    Box<dyn FnOnce(&ParquetType, Encoding, bool) -> Result<Vec<Page>, Box<dyn Array>> + Send + 'a>;

/// [`write_columns`] of columns from any [`Source`].
fn write_sources<W: std::io::Write>(
    out: W,
    schema: &Schema,
    columns: Vec<(Source, Encoding, bool)>,
    n: usize,
    compression: polars_parquet::write::CompressionOptions,
) -> PolarsResult<()> {
    use polars_parquet::write::{
        CompressionOptions, DynIter, DynStreamingIterator, FileWriter, StatisticsOptions, Version,
        WriteOptions, array_to_columns, compress, fallible_streaming_iterator, to_parquet_type,
    };
    use rayon::prelude::*;
    let schema = schema.to_arrow(CompatLevel::newest());
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        compression,
        version: Version::V1,
        data_page_size: None,
    };
    let counts_only = WriteOptions {
        statistics: StatisticsOptions { min_value: false, max_value: false, ..options.statistics },
        ..options
    };
    let to_err = |e: polars_parquet::parquet::error::ParquetError| {
        PolarsError::ComputeError(e.to_string().into())
    };
    // Each column encoded and compressed on its own (zstd is most of a part's cost, and a
    // batch's few parts written side by side left a core idle while the last ones finished),
    // then written in order.
    let fields: Vec<_> = schema.iter_values().cloned().collect();
    let compressed: Vec<Vec<Vec<CompressedPage>>> = fields
        .into_par_iter()
        .zip(columns)
        .map(|(field, (source, encoding, min_max))| {
            let options = if min_max { options } else { counts_only };
            let type_ = to_parquet_type(&field)?;
            let squeeze = |page: Page| match compression {
                CompressionOptions::Zstd(None) => compress_page(page).map_err(to_err),
                other => compress(page, Vec::new(), other).map_err(to_err),
            };
            let by_hand = match source {
                Source::Built(build) => build(&type_, encoding, min_max),
                Source::Array(array) => {
                    pages_by_hand(array.as_ref(), &type_, encoding, min_max).ok_or(array)
                }
            };
            let array = match by_hand {
                Ok(pages) => {
                    let pages = pages.into_iter().map(squeeze);
                    return Ok(vec![pages.collect::<PolarsResult<Vec<_>>>()?]);
                }
                Err(array) => array,
            };
            array_to_columns(array, type_, options, &[encoding])?
                .into_iter()
                .map(|pages| pages.map(|page| squeeze(page?)).collect::<PolarsResult<Vec<_>>>())
                .collect()
        })
        .collect::<PolarsResult<_>>()?;
    let pages_of = compressed.iter().flatten().map(|pages| {
        Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(
            pages.iter().map(Ok::<_, PolarsError>),
        )))
    });
    let mut writer = FileWriter::try_new(out, schema, options)?;
    writer.write(n as u64, DynIter::new(pages_of))?;
    writer.end(None)?;
    Ok(())
}

/// String columns whose values never repeat (paths, hashes, ids), in any table: written plain,
/// not as dictionaries (see [`write_table`]).
pub const UNIQUE_STRINGS: &[&str] =
    &["activity_id", "file_hash", "source_path", "path", "hash", "fingerprint", "activity_ids"];

/// Writes a whole table (the ledger, the activities, the derived tables) as one row group,
/// with statistics for every column: string columns as dictionaries, except those named in
/// `unique`, written plain like every other column. Polars' own writer tries a dictionary for
/// every string and integer column, estimating each one's distinct values first: that was
/// nine tenths of the cost of writing these tables (the daily table's 63 columns, paths and
/// hashes that never repeat). A string column with too many distinct values for a dictionary
/// still goes plain (Polars' check, on that column only).
pub fn write_table<W: std::io::Write>(
    df: &DataFrame,
    unique: &[&str],
    compression: polars_parquet::write::CompressionOptions,
    out: W,
) -> PolarsResult<()> {
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            let string = c.dtype() == &DataType::String;
            let encoding = if string && !unique.contains(&c.name().as_str()) {
                Encoding::RleDictionary
            } else {
                Encoding::Plain
            };
            let array = c.as_materialized_series().rechunk().to_arrow(0, CompatLevel::newest());
            (array, encoding, true)
        })
        .collect();
    write_columns(out, df.schema(), columns, df.height(), compression)
}

/// The pages of the optional columns that `write_part` writes by hand: plain `Float64`,
/// `Int32` and dates, plain or delta-encoded `Int64` and timestamps. They are the pages Polars'
/// `array_to_columns` makes, but Polars encodes the definition levels a bit at a time and
/// walks the values present through an iterator of optional values (5 % of an import's
/// instructions together). Here the levels come from the validity bitmap's words (see
/// [`def_levels`]) and the values 64 rows at a time. Rows are split into pages of 1 MiB of
/// values, a whole number of bytes of the bitmap each. Statistics: the null count, and with
/// `min_max` the minimum and maximum of an integer column.
///
/// `None` for any other column (or a big-endian machine): Polars writes those.
fn pages_by_hand(
    array: &dyn Array,
    type_: &ParquetType,
    encoding: Encoding,
    min_max: bool,
) -> Option<Vec<Page>> {
    use polars_arrow::datatypes::ArrowDataType as A;
    let type_ = hand_built(type_)?;
    let any = array.as_any();
    match (encoding, array.dtype()) {
        (Encoding::RleDictionary, A::Dictionary(..)) => dictionary_pages(array, type_, min_max),
        (Encoding::Plain, A::Float64) if !min_max => {
            Some(pages_of(any.downcast_ref::<PrimitiveArray<f64>>()?, type_, encoding, false))
        }
        (Encoding::Plain, A::Int32 | A::Date32) => {
            Some(pages_of(any.downcast_ref::<PrimitiveArray<i32>>()?, type_, encoding, min_max))
        }
        (Encoding::Plain | Encoding::DeltaBinaryPacked, A::Int64 | A::Timestamp(..)) => {
            Some(pages_of(any.downcast_ref::<PrimitiveArray<i64>>()?, type_, encoding, min_max))
        }
        _ => None,
    }
}

/// The type of a column whose pages can be built by hand: an optional primitive column, on a
/// little-endian machine (values are copied as they lie in memory).
fn hand_built(type_: &ParquetType) -> Option<&PrimitiveType> {
    use polars_parquet::parquet::schema::Repetition;
    let ParquetType::PrimitiveType(type_) = type_ else { return None };
    let optional = type_.field_info.repetition == Repetition::Optional;
    (optional && cfg!(target_endian = "little")).then_some(type_)
}

/// [`pages_by_hand`] of one array.
fn pages_of<T>(
    array: &PrimitiveArray<T>,
    type_: &PrimitiveType,
    encoding: Encoding,
    min_max: bool,
) -> Vec<Page>
where
    T: polars_arrow::types::NativeType + polars_parquet::parquet::types::NativeType + PartialOrd,
{
    let rows_per_page = rows_per_page::<T>();
    (0..array.len())
        .step_by(rows_per_page)
        .map(|start| {
            let page = array.clone().sliced(start, rows_per_page.min(array.len() - start));
            let values = [page.values().as_slice()];
            Page::Data(data_page(&values, page.validity(), type_, encoding, min_max))
        })
        .collect()
}

/// Rows in a page of values of type `T`: 1 MiB of them, a multiple of 8.
fn rows_per_page<T>() -> usize {
    ((1 << 20) / size_of::<T>()).max(8) & !7
}

/// A sample column of `rows` (`get` of each activity's samples, `dtype` in Arrow) as a
/// [`Source::Built`]: its pages, the ones [`pages_of`] makes of the column's array, built from
/// each activity's values where they lie (only the validity bits are gathered, a page at a
/// time), not from the array, whose copy of every value was the largest `memmove` of an
/// import; the array itself for a column that `pages_by_hand` would not take.
fn sampled<'a, T>(
    rows: &'a [(&str, &Samples)],
    n: usize,
    dtype: &polars_arrow::datatypes::ArrowDataType,
    get: fn(&Samples) -> &SampleColumn<T>,
) -> Source<'a>
where
    T: polars_arrow::types::NativeType
        + polars_parquet::parquet::types::NativeType
        + PartialOrd
        + Default,
{
    let dtype = dtype.clone();
    Source::Built(Box::new(move |type_, encoding, min_max| {
        let Some(type_) = hand_built(type_) else { return Err(array(rows, n, &dtype, get)) };
        let rows_per_page = rows_per_page::<T>();
        let mut pages = Vec::with_capacity(n.div_ceil(rows_per_page));
        let mut values: Vec<&[T]> = Vec::new();
        let mut valid = polars_arrow::bitmap::MutableBitmap::with_capacity(rows_per_page);
        let mut page = |values: &mut Vec<&[T]>, valid: &mut polars_arrow::bitmap::MutableBitmap| {
            let bits = std::mem::replace(valid, polars_arrow::bitmap::MutableBitmap::new());
            let bits: polars_arrow::bitmap::Bitmap = bits.into();
            pages.push(Page::Data(data_page(values, Some(&bits), type_, encoding, min_max)));
            values.clear();
        };
        // What a column held without buffers (only gaps) reads as: default values, none of
        // them written, as the page takes only the values its bits mark present. As many as
        // the longest such column takes at once (its rows, at most a page), not a page's
        // worth for each column of each part.
        let longest = rows.iter().map(|(_, s)| get(s)).filter(|c| c.bare()).map(|c| c.len());
        let gaps = vec![T::default(); longest.max().unwrap_or(0).min(rows_per_page)];
        for (_, s) in rows {
            let column = get(s);
            let mut at = 0;
            while at < column.len() {
                let take = (rows_per_page - valid.len()).min(column.len() - at);
                if column.bare() {
                    values.push(&gaps[..take]);
                    valid.extend_constant(take, false);
                } else {
                    values.push(&column.values()[at..at + take]);
                    valid.extend_from_slice(column.validity(), at, take);
                }
                at += take;
                if valid.len() == rows_per_page {
                    page(&mut values, &mut valid);
                }
            }
        }
        if !valid.is_empty() {
            page(&mut values, &mut valid);
        }
        Ok(pages)
    }))
}

/// One version-1 data page of the rows of `values` (slices one after the other) and their
/// `validity`, with its definition levels: the values present plain, or delta-encoded
/// (`Encoding::DeltaBinaryPacked`, for `i64` values only).
fn data_page<T>(
    values: &[&[T]],
    validity: Option<&polars_arrow::bitmap::Bitmap>,
    type_: &PrimitiveType,
    encoding: Encoding,
    min_max: bool,
) -> DataPage
where
    T: polars_arrow::types::NativeType + polars_parquet::parquet::types::NativeType + PartialOrd,
{
    use polars_parquet::parquet::statistics::PrimitiveStatistics;
    let n: usize = values.iter().map(|v| v.len()).sum();
    let validity = validity.filter(|v| v.unset_bits() > 0);
    // Each slice with its share of the bits.
    let mut at = 0;
    let slices: Vec<(&[T], Option<polars_arrow::bitmap::Bitmap>)> = values
        .iter()
        .map(|&v| {
            let bits = validity.map(|b| b.clone().sliced(at, v.len()));
            at += v.len();
            (v, bits.filter(|b| b.unset_bits() > 0))
        })
        .collect();
    let nulls = validity.map_or(0, |v| v.unset_bits());
    let mut buffer = Vec::with_capacity(16 + n.div_ceil(8) + size_of::<T>() * (n - nulls));
    levels(&mut buffer, n, validity);
    let mut bounds: Option<(T, T)> = None;
    let mut bound = |run: &[T]| {
        if let (true, Some(&first)) = (min_max, run.first()) {
            // The bounds held in two locals over the run, not an `Option` updated per value.
            let (mut lo, mut hi) = bounds.unwrap_or((first, first));
            for &v in run {
                lo = if v < lo { v } else { lo };
                hi = if v > hi { v } else { hi };
            }
            bounds = Some((lo, hi));
        }
    };
    if encoding == Encoding::DeltaBinaryPacked {
        let mut present = Vec::with_capacity(n - nulls);
        for (values, bits) in &slices {
            for_present(values, bits.as_ref(), |run| {
                bound(run);
                match run {
                    [v] => present.push(*v),
                    _ => present.extend_from_slice(run),
                }
            });
        }
        delta_binary_packed(bytemuck::cast_slice(&present), &mut buffer);
    } else {
        for (values, bits) in &slices {
            for_present(values, bits.as_ref(), |run| {
                bound(run);
                match run {
                    // Bytes of a size known here: copied without a call.
                    [v] => buffer.extend_from_slice(bytemuck::bytes_of(v)),
                    _ => buffer.extend_from_slice(bytemuck::cast_slice(run)),
                }
            });
        }
    }
    let statistics = PrimitiveStatistics::<T> {
        primitive_type: type_.clone(),
        null_count: Some(nulls as i64),
        distinct_count: None,
        min_value: bounds.map(|b| b.0),
        max_value: bounds.map(|b| b.1),
    };
    v1_page(buffer, n, encoding, statistics.serialize(), type_)
}

/// A version-1 data page of `rows` rows: `buffer` (levels, then values) with its header.
fn v1_page(
    buffer: Vec<u8>,
    rows: usize,
    encoding: Encoding,
    statistics: polars_parquet::parquet::statistics::ParquetStatistics,
    type_: &PrimitiveType,
) -> DataPage {
    use polars_parquet::parquet::CowBuffer;
    use polars_parquet::parquet::page::{DataPageHeader, DataPageHeaderV1};
    use polars_parquet::write::Descriptor;
    let header = DataPageHeaderV1 {
        num_values: rows as i32,
        encoding: encoding.into(),
        definition_level_encoding: Encoding::Rle.into(),
        repetition_level_encoding: Encoding::Rle.into(),
        statistics: Some(statistics),
    };
    // The levels as Polars' own pages declare them (the writer takes them from the schema).
    let descriptor =
        Descriptor { primitive_type: type_.clone(), max_def_level: 0, max_rep_level: 0 };
    DataPage::new(DataPageHeader::V1(header), CowBuffer::Owned(buffer), descriptor, rows)
}

/// A version-1 page's definition levels for `n` rows: their length in 4 bytes, then the levels
/// (one run when no row or every row is missing, else see [`def_levels`]).
fn levels(buffer: &mut Vec<u8>, n: usize, validity: Option<&polars_arrow::bitmap::Bitmap>) {
    let start = buffer.len();
    buffer.extend_from_slice(&[0; 4]);
    match validity.filter(|v| v.unset_bits() > 0) {
        None => {
            uleb128(buffer, (n as u64) << 1);
            buffer.push(1);
        }
        Some(valid) if valid.unset_bits() == n => {
            uleb128(buffer, (n as u64) << 1);
            buffer.push(0);
        }
        Some(valid) => def_levels(buffer, valid),
    }
    let len = (buffer.len() - start - 4) as i32;
    buffer[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// The pages of a dictionary column of strings (`u32` keys): a dictionary page of its values,
/// plain (each its length in 4 bytes, then its bytes), and data pages of the keys of the rows
/// present, as Parquet's RLE / bit-packing hybrid at the width of their largest ([`hybrid`]):
/// the pages Polars makes, whose keys go through an iterator of optional values, one at a
/// time (1.6 % of an import's instructions). Statistics: the null count, and with `min_max`
/// the dictionary's smallest and largest value, as Polars gives them. `None` for another
/// column, or for one whose statistics Polars would truncate (a value past 64 bytes).
fn dictionary_pages(array: &dyn Array, type_: &PrimitiveType, min_max: bool) -> Option<Vec<Page>> {
    use polars_arrow::array::{DictionaryArray, Utf8ViewArray};
    use polars_parquet::parquet::CowBuffer;
    use polars_parquet::parquet::page::DictPage;
    use polars_parquet::parquet::statistics::BinaryStatistics;
    let dictionary = array.as_any().downcast_ref::<DictionaryArray<u32>>()?;
    let values = dictionary.values().as_any().downcast_ref::<Utf8ViewArray>()?;
    if values.null_count() > 0 || values.values_iter().any(|v| v.len() > 64) {
        return None;
    }
    let mut plain = Vec::with_capacity(values.total_bytes_len() + 4 * values.len());
    for v in values.values_iter() {
        plain.extend_from_slice(&(v.len() as u32).to_le_bytes());
        plain.extend_from_slice(v.as_bytes());
    }
    // Strings order as their UTF-8 bytes do, as Parquet compares them.
    let bytes = |v: Option<&str>| v.filter(|_| min_max).map(|v| v.as_bytes().to_vec());
    let (min, max) = (bytes(values.values_iter().min()), bytes(values.values_iter().max()));
    let mut pages = vec![Page::Dict(DictPage::new(CowBuffer::Owned(plain), values.len(), false))];
    let keys = dictionary.keys();
    const ROWS: usize = (1 << 20) / 4;
    for start in (0..keys.len()).step_by(ROWS) {
        let keys = keys.clone().sliced(start, ROWS.min(keys.len() - start));
        let n = keys.len();
        let validity = keys.validity().filter(|v| v.unset_bits() > 0);
        let nulls = validity.map_or(0, |v| v.unset_bits());
        let mut present = Vec::with_capacity(n - nulls);
        for_present(keys.values(), validity, |run| present.extend_from_slice(run));
        let mut buffer = Vec::with_capacity(32 + n.div_ceil(8) + present.len() / 4);
        levels(&mut buffer, n, validity);
        let width = present.iter().max().map_or(0, |&k| 32 - k.leading_zeros());
        buffer.push(width as u8);
        hybrid(&mut buffer, &present, width);
        let statistics = BinaryStatistics {
            primitive_type: type_.clone(),
            null_count: Some(nulls as i64),
            distinct_count: None,
            min_value: min.clone(),
            max_value: max.clone(),
        };
        let page = v1_page(buffer, n, Encoding::RleDictionary, statistics.serialize(), type_);
        pages.push(Page::Data(page));
    }
    Some(pages)
}

/// `values` as Parquet's RLE / bit-packing hybrid at `width` bits (the dictionary keys of a
/// page): a run of at least 8 equal values, or one that ends the values, as a run (its length
/// shifted left once, then the value in whole bytes, lowest first); the values between
/// bit-packed, in groups of 8 (their count of groups shifted left once and tagged 1, then the
/// values at `width` bits each, first value lowest, the last group filled out with zeros).
fn hybrid(out: &mut Vec<u8>, values: &[u32], width: u32) {
    let bytes = (width as usize).div_ceil(8);
    let run_at = |at: usize| values[at..].iter().take_while(|&&v| v == values[at]).count();
    let long = |at: usize| {
        let run = values[at..].iter().take(8).take_while(|&&v| v == values[at]).count();
        run == 8 || at + run == values.len()
    };
    let mut at = 0;
    while at < values.len() {
        if long(at) {
            let run = run_at(at);
            uleb128(out, (run as u64) << 1);
            out.extend_from_slice(&values[at].to_le_bytes()[..bytes]);
            at += run;
            continue;
        }
        let start = at;
        while at < values.len() {
            at += 8;
            if at < values.len() && long(at) {
                break;
            }
        }
        let group = &values[start..at.min(values.len())];
        uleb128(out, ((group.len().div_ceil(8) as u64) << 1) | 1);
        pack(out, group, width as usize);
    }
}

/// Calls `each` with the values present, in order: 64 rows at a time, a whole block at once
/// when none is missing, else value by value (a run at a time cost a call per run: measures
/// missing every few rows make thousands).
fn for_present<T: Copy>(
    values: &[T],
    validity: Option<&polars_arrow::bitmap::Bitmap>,
    mut each: impl FnMut(&[T]),
) {
    let Some(valid) = validity else { return each(values) };
    let chunks = valid.chunks::<u64>();
    let (rest, rest_len) = (chunks.remainder(), chunks.remainder_len());
    let last = (rest_len > 0).then(|| (rest & ((1u64 << rest_len) - 1), rest_len));
    let mut start = 0;
    for (mut word, len) in chunks.map(|w| (w, 64)).chain(last) {
        if word == u64::MAX {
            each(&values[start..start + 64]);
        }
        while word != u64::MAX && word != 0 {
            let i = start + word.trailing_zeros() as usize;
            each(&values[i..i + 1]);
            word &= word - 1;
        }
        start += len;
    }
}

/// `values` as Parquet's DELTA_BINARY_PACKED, laid out as Polars lays it out: blocks of 256
/// values in one miniblock. The header (block size, miniblocks per block, count, first value),
/// then for each block of the deltas that follow: the smallest delta (zigzag varint), the bit
/// width of their excess over it (a byte), and the excesses bit-packed at that width, first
/// value lowest, the block filled out with zeros. A block of equal deltas packs to no byte.
fn delta_binary_packed(values: &[i64], out: &mut Vec<u8>) {
    const BLOCK: usize = 256;
    let zigzag = |out: &mut Vec<u8>, v: i64| {
        let (bytes, n) = polars_parquet::parquet::encoding::zigzag_leb128::encode(v);
        out.extend_from_slice(&bytes[..n]);
    };
    uleb128(out, BLOCK as u64);
    uleb128(out, 1);
    uleb128(out, values.len() as u64);
    zigzag(out, values.first().copied().unwrap_or_default());
    let Some((&first, rest)) = values.split_first() else { return };
    let (mut prev, mut deltas, mut excess) = (first, [0i64; BLOCK], [0u64; BLOCK]);
    for block in rest.chunks(BLOCK) {
        let mut min = i64::MAX;
        for (d, &v) in deltas.iter_mut().zip(block) {
            *d = v.wrapping_sub(prev);
            min = min.min(*d);
            prev = v;
        }
        let mut widest = 0;
        for (e, &d) in excess.iter_mut().zip(&deltas[..block.len()]) {
            *e = d.wrapping_sub(min) as u64;
            widest |= *e;
        }
        excess[block.len()..].fill(0);
        let bits = 64 - widest.leading_zeros();
        zigzag(out, min);
        out.push(bits as u8);
        pack(out, &excess, bits as usize);
    }
}

/// The definition levels of an optional column with gaps: Parquet's RLE / bit-packing hybrid
/// of width 1, from the validity bitmap. A run of at least 8 rows alike (present or missing)
/// goes as a run: its length shifted left once, then its value in a byte. The rows between
/// go bit-packed, 8 to a byte, first row lowest as in an Arrow bitmap: their count of bytes
/// shifted left once and tagged 1, then the bytes. The last byte's unused bits are clear.
fn def_levels(out: &mut Vec<u8>, valid: &polars_arrow::bitmap::Bitmap) {
    const RUN: usize = 8;
    let n = valid.len();
    // The bitmap's bytes from its first row, and 8 more, clear, to read past the end.
    let mut bytes = Vec::with_capacity(n.div_ceil(8) + 8);
    let chunks = valid.chunks::<u64>();
    let (rest, rest_bits) = (chunks.remainder(), chunks.remainder_len());
    for chunk in chunks {
        bytes.extend_from_slice(&chunk.to_le_bytes());
    }
    bytes.extend_from_slice(&rest.to_le_bytes()[..rest_bits.div_ceil(8)]);
    bytes.extend_from_slice(&[0; 8]);
    // 56 rows from `at` (the low bits), and the run of rows alike from there.
    let window = |at: usize| {
        let word: [u8; 8] = bytes[at / 8..at / 8 + 8].try_into().expect("8 bytes");
        u64::from_le_bytes(word) >> (at % 8)
    };
    let run_at = |at: usize| {
        let value = window(at) & 1;
        let mut len = 0;
        while at + len < n {
            let w = if value == 1 { !window(at + len) } else { window(at + len) };
            let alike = (w.trailing_zeros() as usize).min(56);
            len += alike;
            if alike < 56 {
                break;
            }
        }
        (value as u8, len.min(n - at))
    };
    let mut packed = Vec::new();
    let mut at = 0;
    while at < n {
        let (value, len) = run_at(at);
        if len >= RUN {
            uleb128(out, (len as u64) << 1);
            out.push(value);
            at += len;
            continue;
        }
        // Groups of 8 rows until a run starts at the end of one (or the rows end).
        packed.clear();
        while at < n {
            let group = window(at) as u8;
            let kept = (n - at).min(8);
            packed.push(if kept == 8 { group } else { group & ((1u8 << kept) - 1) });
            at += 8;
            if at < n && run_at(at).1 >= RUN {
                break;
            }
        }
        uleb128(out, ((packed.len() as u64) << 1) | 1);
        out.extend_from_slice(&packed);
    }
}

/// `values` bit-packed at `width` bits each, first value lowest, filled out with zeros to a
/// whole group of 8 (`width` bytes a group), by `polars-parquet`'s packer. No byte at width 0.
fn pack<T: polars_parquet::parquet::encoding::bitpacked::Unpackable>(
    out: &mut Vec<u8>,
    values: &[T],
    width: usize,
) {
    if width == 0 {
        return;
    }
    // The packer works a whole pack of values at a time (32 or 64): room for those, then
    // only the groups of 8 kept.
    let start = out.len();
    let packs = values.len().div_ceil(size_of::<T>() * 8);
    out.resize(start + packs * size_of::<T>() * width, 0);
    polars_parquet::parquet::encoding::bitpacked::encode(values, width, &mut out[start..]);
    out.truncate(start + values.len().div_ceil(8) * width);
}

/// `v` appended as an unsigned LEB128 varint (the lengths in Parquet's hybrid encoding),
/// by `polars-parquet`'s encoder.
fn uleb128(out: &mut Vec<u8>, v: u64) {
    let mut bytes = [0u8; 10];
    let n = polars_parquet::parquet::encoding::uleb128::encode(v, &mut bytes);
    out.extend_from_slice(&bytes[..n]);
}

/// Compresses one page as Polars' `compress` does with zstd at its default level, but with one
/// compression context per thread, kept: Polars makes a context per page
/// (`zstd::bulk::compress_to_buffer`), whose tables zstd clears each time, and zeroes the
/// output buffer first (3.5 % and 0.9 % of the instructions of a small import). A kept
/// context starts each page as a new frame without clearing its tables. A page of another
/// kind than the version-1 pages `write_part` makes goes to Polars' `compress`.
fn compress_page(page: Page) -> ParquetResult<CompressedPage> {
    use polars_parquet::parquet::CowBuffer;
    use polars_parquet::parquet::compression::Compression;
    use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
    use polars_parquet::write::{CompressedDataPage, CompressionOptions, compress};
    use std::cell::RefCell;
    thread_local! {
        static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    }
    let zstd_of = |input: &[u8]| -> ParquetResult<Vec<u8>> {
        ZSTD.with_borrow_mut(|kept| {
            let compressor = match kept {
                Some(c) => c,
                None => kept.insert(zstd::bulk::Compressor::new(0)?),
            };
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(input.len()));
            compressor.compress_to_buffer(input, &mut out)?;
            Ok::<_, std::io::Error>(out)
        })
        .map_err(ParquetError::from)
    };
    match page {
        Page::Data(data) => match (data.header(), data.num_rows) {
            (DataPageHeader::V1(_), Some(rows)) => {
                Ok(CompressedPage::Data(CompressedDataPage::new(
                    data.header().clone(),
                    CowBuffer::Owned(zstd_of(data.buffer())?),
                    Compression::Zstd,
                    data.buffer().len(),
                    data.descriptor.clone(),
                    rows,
                )))
            }
            _ => compress(Page::Data(data), Vec::new(), CompressionOptions::Zstd(None)),
        },
        Page::Dict(dict) => Ok(CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(zstd_of(&dict.buffer)?),
            Compression::Zstd,
            dict.buffer.len(),
            dict.num_values,
            dict.is_sorted,
        ))),
    }
}

/// One sample column of every activity in `rows` as an Arrow array of type `dtype`: the
/// activities' value buffers and validity bitmaps one after the other (no bitmap when nothing
/// is missing).
fn array<T: polars_arrow::types::NativeType + Default>(
    rows: &[(&str, &Samples)],
    n: usize,
    dtype: &polars_arrow::datatypes::ArrowDataType,
    get: impl Fn(&Samples) -> &SampleColumn<T>,
) -> Box<dyn Array> {
    let (values, validity) = buffers(rows, n, get);
    Box::new(PrimitiveArray::new(dtype.clone(), values.into(), validity))
}

/// The value buffer and validity bitmap of one sample column over every activity in `rows`.
fn buffers<T: Copy + Default>(
    rows: &[(&str, &Samples)],
    n: usize,
    get: impl Fn(&Samples) -> &SampleColumn<T>,
) -> (Vec<T>, Option<polars_arrow::bitmap::Bitmap>) {
    // A column held without buffers (only gaps: see `SampleColumn`) reads as default values
    // with clear bits.
    let mut values = Vec::with_capacity(n);
    for (_, s) in rows {
        let col = get(s);
        match col.bare() {
            true => values.resize(values.len() + col.len(), T::default()),
            false => values.extend_from_slice(col.values()),
        }
    }
    if rows.iter().all(|(_, s)| get(s).null_count() == 0) {
        return (values, None);
    }
    let mut valid = polars_arrow::bitmap::MutableBitmap::with_capacity(n);
    for (_, s) in rows {
        let col = get(s);
        match col.bare() {
            true => valid.extend_constant(col.len(), false),
            false => valid.extend_from_slice(col.validity(), 0, col.len()),
        }
    }
    (values, Some(valid.into()))
}

/// The samples' `activity_id`, `time` and `heart_rate` only: what the per-activity figures read.
pub fn heart_rate_frame(rows: &[(&str, &Samples)]) -> PolarsResult<DataFrame> {
    let n: usize = rows.iter().map(|(_, s)| s.len()).sum();
    let mut ids = Vec::with_capacity(n);
    for (id, samples) in rows {
        ids.extend(std::iter::repeat_n(*id, samples.len()));
    }
    let time = column::<Int64Type>("time", rows, n, |s| &s.time_ms).cast(&utc())?;
    DataFrame::new(
        n,
        vec![
            Column::new("activity_id".into(), ids),
            time,
            column::<Int32Type>("heart_rate", rows, n, |s| &s.heart_rate),
        ],
    )
}

/// The column that numbers the activities of [`keyed_heart_rate_frame`].
pub const ACTIVITY_KEY: &str = "activity_key";

/// The samples' `time` and `heart_rate` with [`ACTIVITY_KEY`], each row's activity as its place
/// in `rows` (a `u32`): what the per-activity figures read, without a string per row. The
/// figures come back keyed the same way, and [`write_figures`] names them.
pub fn keyed_heart_rate_frame(rows: &[(&str, &Samples)]) -> PolarsResult<DataFrame> {
    let n: usize = rows.iter().map(|(_, s)| s.len()).sum();
    let mut keys = Vec::with_capacity(n);
    for (i, (_, samples)) in rows.iter().enumerate() {
        keys.extend(std::iter::repeat_n(i as u32, samples.len()));
    }
    let time = column::<Int64Type>("time", rows, n, |s| &s.time_ms).cast(&utc())?;
    DataFrame::new(
        n,
        vec![
            Column::new(ACTIVITY_KEY.into(), keys),
            time,
            column::<Int32Type>("heart_rate", rows, n, |s| &s.heart_rate),
        ],
    )
}

/// One sample column of every activity in `rows` as a Polars column (see [`buffers`]).
fn column<T: PolarsNumericType>(
    name: &str,
    rows: &[(&str, &Samples)],
    n: usize,
    get: impl Fn(&Samples) -> &SampleColumn<T::Native>,
) -> Column
where
    T::Native: Default,
{
    let (values, validity) = buffers(rows, n, get);
    ChunkedArray::<T>::from_vec_validity(name.into(), values, validity).into_column()
}

/// `activities.parquet`: one row per activity.
pub fn activities_frame(rows: &[StoredActivity]) -> PolarsResult<DataFrame> {
    // Borrowed strings: the frame copies them once (a clone first doubled the commit's
    // memory for a moment, the import's peak on large exports).
    let get = |f: fn(&StoredActivity) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
    let a =
        |f: fn(&Activity) -> Option<f64>| rows.iter().map(|r| f(&r.activity)).collect::<Vec<_>>();
    let ai =
        |f: fn(&Activity) -> Option<i32>| rows.iter().map(|r| f(&r.activity)).collect::<Vec<_>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("activity_id".into(), get(|r| Some(&r.id))),
            Column::new("file_hash".into(), get(|r| Some(&r.file_hash))),
            Column::new("source_path".into(), get(|r| Some(&r.source_path))),
            Column::new("format".into(), get(|r| Some(&r.format))),
            Column::new("leg".into(), ai(|a| Some(a.leg as i32))),
            Column::new("sport".into(), get(|r| r.activity.sport.as_deref())),
            Column::new("sub_sport".into(), get(|r| r.activity.sub_sport.as_deref())),
            Column::new("device".into(), get(|r| r.activity.device.as_deref())),
            datetime_col("start_time", rows.iter().map(|r| Some(r.activity.start_ms)).collect())?,
            Column::new("utc_offset_s".into(), ai(|a| a.utc_offset_s)),
            Column::new("elapsed_s".into(), a(|a| a.elapsed_s)),
            Column::new("timer_s".into(), a(|a| a.timer_s)),
            Column::new("distance_m".into(), a(|a| a.distance_m)),
            Column::new("ascent_m".into(), a(|a| a.ascent_m)),
            Column::new("avg_hr".into(), ai(|a| a.avg_hr)),
            Column::new("max_hr".into(), ai(|a| a.max_hr)),
            Column::new("samples".into(), rows.iter().map(|r| r.sample_count).collect::<Vec<_>>()),
            Column::new("start_latitude".into(), a(|a| a.start_latitude)),
            Column::new("start_longitude".into(), a(|a| a.start_longitude)),
            Column::new("name".into(), get(|r| r.activity.name.as_deref())),
            Column::new("activity_type".into(), get(|r| r.activity.activity_type.as_deref())),
            Column::new("commit_id".into(), rows.iter().map(|r| r.commit_id).collect::<Vec<_>>()),
        ],
    )
}

pub fn activities_from_frame(df: &DataFrame) -> PolarsResult<Vec<StoredActivity>> {
    let (id, hash, path, format) = (
        strs(df, "activity_id")?,
        strs(df, "file_hash")?,
        strs(df, "source_path")?,
        strs(df, "format")?,
    );
    let (leg, sport, sub, device) =
        (i32s(df, "leg")?, strs(df, "sport")?, strs(df, "sub_sport")?, strs(df, "device")?);
    let (start, offset, elapsed, timer) = (
        i64s(df, "start_time")?,
        i32s(df, "utc_offset_s")?,
        f64s(df, "elapsed_s")?,
        f64s(df, "timer_s")?,
    );
    let (dist, ascent, avg, max) =
        (f64s(df, "distance_m")?, f64s(df, "ascent_m")?, i32s(df, "avg_hr")?, i32s(df, "max_hr")?);
    let (lat, lon) = (f64s(df, "start_latitude")?, f64s(df, "start_longitude")?);
    let (count, name, kind, commit) = (
        i64s(df, "samples")?,
        strs(df, "name")?,
        strs(df, "activity_type")?,
        i64s(df, "commit_id")?,
    );
    Ok((0..df.height())
        .map(|i| StoredActivity {
            id: id[i].clone().unwrap_or_default(),
            file_hash: hash[i].clone().unwrap_or_default(),
            source_path: path[i].clone().unwrap_or_default(),
            format: format[i].clone().unwrap_or_default(),
            activity: Activity {
                leg: leg[i].unwrap_or(0) as u32,
                sport: sport[i].clone(),
                sub_sport: sub[i].clone(),
                device: device[i].clone(),
                start_ms: start[i].unwrap_or(0),
                utc_offset_s: offset[i],
                elapsed_s: elapsed[i],
                timer_s: timer[i],
                distance_m: dist[i],
                ascent_m: ascent[i],
                avg_hr: avg[i],
                max_hr: max[i],
                start_latitude: lat[i],
                start_longitude: lon[i],
                name: name[i].clone(),
                activity_type: kind[i].clone(),
                samples: Samples::default(),
            },
            sample_count: count[i].unwrap_or(0),
            commit_id: commit[i].unwrap_or(0),
        })
        .collect())
}

/// Writes the readings of `files` as one wellness-readings part (see `write_part`): the
/// columns and types of [`wellness_frame`], with `record`, `metric`, `file_hash` and
/// `source_path` as dictionaries (a file's readings share its hash and path: one key each,
/// repeated), so no string is made per reading.
pub fn write_wellness<W: std::io::Write>(
    files: &[StoredWellness],
    commit_id: i64,
    out: W,
) -> PolarsResult<()> {
    use polars_arrow::datatypes::{ArrowDataType as A, TimeUnit};
    let n = readings(files);
    let rows = || files.iter().flat_map(|f| &f.rows);
    let ts = A::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let prim = |dtype: &A, values: Vec<i64>| -> Box<dyn Array> {
        Box::new(PrimitiveArray::new(dtype.clone(), values.into(), None))
    };
    let optional = |dtype: A, values: Vec<Option<i64>>| -> Box<dyn Array> {
        Box::new(PrimitiveArray::<i64>::from(values).to(dtype))
    };
    let days: Vec<Option<i32>> = rows().map(|r| r.day).collect();
    let strings = |of: fn(&WellnessRow) -> Option<&str>| {
        let (keys, values) = keys_of(rows(), n, |r| Some((of(r)?, 1)), |a: &str, b| a == b);
        dictionary(keys, &values)
    };
    let per_file = |of: fn(&StoredWellness) -> &str| {
        let (keys, values) = keys_of(files, n, |f| Some((of(f), f.rows.len())), |a, b| a == b);
        dictionary(keys, &values)
    };
    let (plain, dict) = (Encoding::Plain, Encoding::RleDictionary);
    let columns = vec![
        (prim(&ts, rows().map(|r| r.time_ms).collect()), plain, true),
        (optional(ts.clone(), rows().map(|r| r.end_ms).collect()), plain, false),
        (Box::new(PrimitiveArray::<i32>::from(days).to(A::Date32)) as _, plain, true),
        (strings(|r| r.day.map(|_| r.metric.daily_record()))?, dict, false),
        (strings(|r| Some(r.metric.as_str()))?, dict, false),
        (Box::new(PrimitiveArray::from_vec(rows().map(|r| r.value).collect())) as _, plain, false),
        (per_file(|f| &f.file_hash)?, dict, false),
        (per_file(|f| &f.source_path)?, dict, false),
        (prim(&A::Int64, vec![commit_id; n]), dict, false),
    ];
    write_part(out, wellness_frame(&[], commit_id)?.schema(), columns, n)
}

/// `wellness_readings.parquet`: one row per wellness reading or daily value, of `files` in
/// order.
pub fn wellness_frame(files: &[StoredWellness], commit_id: i64) -> PolarsResult<DataFrame> {
    let rows = || files.iter().flat_map(|f| &f.rows);
    let per_row = |of: fn(&StoredWellness) -> &str| -> Vec<&str> {
        files.iter().flat_map(|f| std::iter::repeat_n(of(f), f.rows.len())).collect()
    };
    let n = readings(files);
    DataFrame::new(
        n,
        vec![
            datetime_col("time", rows().map(|r| Some(r.time_ms)).collect())?,
            datetime_col("end_time", rows().map(|r| r.end_ms).collect())?,
            Column::new("date".into(), rows().map(|r| r.day).collect::<Vec<_>>())
                .cast(&DataType::Date)?,
            Column::new(
                "record".into(),
                rows().map(|r| r.day.map(|_| r.metric.daily_record())).collect::<Vec<_>>(),
            ),
            Column::new("metric".into(), rows().map(|r| r.metric.as_str()).collect::<Vec<_>>()),
            Column::new("value".into(), rows().map(|r| r.value).collect::<Vec<_>>()),
            Column::new("file_hash".into(), per_row(|f| &f.file_hash)),
            Column::new("source_path".into(), per_row(|f| &f.source_path)),
            Column::new("commit_id".into(), vec![commit_id; n]),
        ],
    )
}

/// `archives.parquet`: the archives walked to the end, by path, with the fingerprint they had.
pub fn archives_frame(rows: &[(String, String, i64)]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("path".into(), rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>()),
            Column::new(
                "fingerprint".into(),
                rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            ),
            Column::new("commit_id".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        ],
    )
}

pub fn archives_from_frame(df: &DataFrame) -> PolarsResult<Vec<(String, String, i64)>> {
    let (p, f, c) = (strs(df, "path")?, strs(df, "fingerprint")?, i64s(df, "commit_id")?);
    Ok(p.into_iter().zip(f).zip(c).filter_map(|((p, f), c)| Some((p?, f?, c?))).collect())
}

/// `journal.parquet`: one row per journal day.
pub fn journal_frame(
    rows: &[restday_model::JournalRow],
    commit_id: i64,
) -> PolarsResult<DataFrame> {
    let f =
        |g: fn(&restday_model::JournalRow) -> Option<f64>| rows.iter().map(g).collect::<Vec<_>>();
    let b =
        |g: fn(&restday_model::JournalRow) -> Option<bool>| rows.iter().map(g).collect::<Vec<_>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("date".into(), rows.iter().map(|r| r.day).collect::<Vec<_>>())
                .cast(&DataType::Date)?,
            Column::new("soreness".into(), f(|r| r.soreness)),
            Column::new("irritability".into(), f(|r| r.irritability)),
            Column::new("motivation".into(), f(|r| r.motivation)),
            Column::new("sleep_quality".into(), f(|r| r.sleep_quality)),
            Column::new("sleep_hours".into(), f(|r| r.sleep_hours)),
            Column::new("illness".into(), b(|r| r.illness)),
            Column::new("life_stress".into(), f(|r| r.life_stress)),
            Column::new("planned_easy".into(), b(|r| r.planned_easy)),
            Column::new("note".into(), rows.iter().map(|r| r.note.clone()).collect::<Vec<_>>()),
            Column::new("commit_id".into(), vec![commit_id; rows.len()]),
        ],
    )
}

/// `imports.parquet`: the ledger, one row per file seen.
pub fn ledger_frame(rows: &[LedgerRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&LedgerRow) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("path".into(), s(|r| Some(&r.path))),
            Column::new("size".into(), rows.iter().map(|r| r.size as i64).collect::<Vec<_>>()),
            Column::new("hash".into(), s(|r| Some(&r.hash))),
            Column::new("fingerprint".into(), s(|r| r.fingerprint.as_deref())),
            Column::new("format".into(), s(|r| Some(&r.format))),
            Column::new("outcome".into(), s(|r| Some(r.outcome.as_str()))),
            Column::new("partial".into(), rows.iter().map(|r| r.partial).collect::<Vec<_>>()),
            Column::new("error".into(), s(|r| r.error.as_deref())),
            Column::new("activity_ids".into(), s(|r| r.activity_ids.as_deref())),
            Column::new("commit_id".into(), rows.iter().map(|r| r.commit_id).collect::<Vec<_>>()),
            datetime_col("seen_at", rows.iter().map(|r| Some(r.seen_ms)).collect())?,
        ],
    )
}

pub fn ledger_from_frame(df: &DataFrame) -> PolarsResult<Vec<LedgerRow>> {
    let (path, size, hash, format) =
        (strs(df, "path")?, i64s(df, "size")?, strs(df, "hash")?, strs(df, "format")?);
    let (outcome, partial, error, ids) = (
        strs(df, "outcome")?,
        bools(df, "partial")?,
        strs(df, "error")?,
        strs(df, "activity_ids")?,
    );
    let (commit, seen) = (i64s(df, "commit_id")?, i64s(df, "seen_at")?);
    // Ledgers written before fingerprints existed lack the column: every file is then read once.
    let fingerprint = strs(df, "fingerprint").unwrap_or_else(|_| vec![None; df.height()]);
    Ok((0..df.height())
        .map(|i| LedgerRow {
            path: path[i].clone().unwrap_or_default(),
            size: size[i].unwrap_or(0).max(0) as u64,
            hash: hash[i].clone().unwrap_or_default(),
            fingerprint: fingerprint[i].clone(),
            format: format[i].clone().unwrap_or_default(),
            outcome: outcome[i].as_deref().and_then(Outcome::parse).unwrap_or(Outcome::Failed),
            partial: partial[i].unwrap_or(false),
            error: error[i].clone(),
            activity_ids: ids[i].clone(),
            commit_id: commit[i].unwrap_or(0),
            seen_ms: seen[i].unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use restday_model::SampleRow;

    /// Two activities: "a-0" with a missing heart rate, "b-0" with gaps in power.
    fn two_activities() -> (Samples, Samples) {
        let mut a = Samples::default();
        a.push(SampleRow { time_ms: Some(1_000), heart_rate: Some(120), ..Default::default() });
        a.push(SampleRow { time_ms: Some(2_000), heart_rate: None, ..Default::default() });
        let mut b = Samples::default();
        for (t, hr, power) in [(5_000, 150, Some(210)), (6_000, 151, None), (7_000, 152, Some(0))] {
            b.push(SampleRow {
                time_ms: Some(t),
                heart_rate: Some(hr),
                power,
                latitude: Some(45.5),
                distance_m: Some(t as f64 / 100.0),
                ..Default::default()
            });
        }
        (a, b)
    }

    fn assert_two_activities(df: &DataFrame) {
        assert_eq!(df.height(), 5);
        assert_eq!(
            strs(df, "activity_id").unwrap(),
            ["a-0", "a-0", "b-0", "b-0", "b-0"].map(|s| Some(s.to_string()))
        );
        assert_eq!(
            i64s(df, "time").unwrap(),
            [1_000, 2_000, 5_000, 6_000, 7_000].map(Some).to_vec()
        );
        assert_eq!(
            i32s(df, "heart_rate").unwrap(),
            vec![Some(120), None, Some(150), Some(151), Some(152)]
        );
        assert_eq!(i32s(df, "power").unwrap(), vec![None, None, Some(210), None, Some(0)]);
        assert_eq!(
            f64s(df, "latitude").unwrap(),
            vec![None, None, Some(45.5), Some(45.5), Some(45.5)]
        );
        assert_eq!(
            f64s(df, "distance_m").unwrap(),
            vec![None, None, Some(50.0), Some(60.0), Some(70.0)]
        );
        assert_eq!(df.column("cadence").unwrap().null_count(), 5);
        assert_eq!(df.column("time").unwrap().dtype(), &utc());
    }

    #[test]
    fn sample_columns_keep_every_value_and_every_gap_across_activities() {
        let (a, b) = two_activities();
        let df = samples_frame(&[("a-0", &a), ("b-0", &b)]).unwrap();
        assert_two_activities(&df);
    }

    #[test]
    fn a_dictionary_refuses_a_key_past_its_values() {
        let keys = |k: &[Option<u32>]| PrimitiveArray::<u32>::from(k.to_vec());
        let values = ["a", "b"];
        let ok = dictionary(keys(&[Some(0), Some(1), None]), &values).unwrap();
        assert_eq!((ok.len(), ok.null_count()), (3, 1));
        let err = dictionary(keys(&[Some(0), Some(2), None]), &values).unwrap_err();
        assert!(err.to_string().contains("dictionary key 2 with 2 values"), "{err}");
        // A key past the values under a missing row is refused too, as the dictionary array
        // itself would (the import's missing rows have key 0).
        let gap = PrimitiveArray::new(
            polars_arrow::datatypes::ArrowDataType::UInt32,
            vec![0u32, 7].into(),
            Some(vec![true, false].into()),
        );
        assert!(dictionary(gap, &values).is_err());
        assert!(dictionary(keys(&[]), &values).is_ok());
        // A column with no value at all: its missing rows' keys are 0, into the one entry
        // every dictionary gets.
        assert!(dictionary(keys(&[None, None]), &[]).is_ok());
    }

    #[test]
    fn pages_compressed_with_a_kept_context_decompress_to_their_bytes() {
        use polars_parquet::parquet::compression::{Compression, DecompressionContext};
        use polars_parquet::write::{StatisticsOptions, Version, WriteOptions};
        use polars_parquet::write::{array_to_columns, to_parquet_type};
        // Pages of three sizes (the context is kept from one to the next, the tables sized
        // anew or not), a dictionary page among them; each must come back as it went in.
        let field = polars_arrow::datatypes::Field::new(
            "x".into(),
            polars_arrow::datatypes::ArrowDataType::Int64,
            true,
        );
        for (rows, page_size) in [(10_000usize, 1usize << 20), (300_000, 1 << 20), (50, 4096)] {
            let values: Vec<Option<i64>> =
                (0..rows as i64).map(|i| (i % 7 != 0).then_some(i * i % 1_000)).collect();
            let array: Box<dyn Array> = Box::new(PrimitiveArray::<i64>::from(values));
            let options = WriteOptions {
                statistics: StatisticsOptions::default(),
                compression: polars_parquet::write::CompressionOptions::Zstd(None),
                version: Version::V1,
                data_page_size: Some(page_size),
            };
            for encoding in [Encoding::Plain, Encoding::RleDictionary] {
                let pages = array_to_columns(
                    array.clone(),
                    to_parquet_type(&field).unwrap(),
                    options,
                    &[encoding],
                )
                .unwrap();
                for page in pages.into_iter().flatten() {
                    let page = page.unwrap();
                    let plain = match &page {
                        Page::Data(d) => d.buffer().to_vec(),
                        Page::Dict(d) => d.buffer.to_vec(),
                    };
                    let packed = compress_page(page).unwrap();
                    let compression = match &packed {
                        CompressedPage::Data(d) => d.compression(),
                        CompressedPage::Dict(d) => d.compression(),
                    };
                    assert_eq!(compression, Compression::Zstd);
                    let back = polars_parquet::parquet::read::decompress(
                        packed,
                        &mut Vec::new(),
                        &mut DecompressionContext::Unset,
                    )
                    .unwrap();
                    let back = match &back {
                        Page::Data(d) => d.buffer(),
                        Page::Dict(d) => &d.buffer,
                    };
                    assert_eq!(back, &plain[..]);
                }
            }
        }
    }

    /// The statistics of column `name` in the first row group of the Parquet file `bytes`.
    fn column_statistics(
        bytes: &[u8],
        name: &str,
    ) -> polars_parquet::parquet::statistics::Statistics {
        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(bytes)).unwrap();
        let chunks = meta.row_groups[0].parquet_columns();
        let c = chunks.iter().find(|c| c.descriptor().path_in_schema[0] == name).unwrap();
        c.statistics(&meta.footer_buf).unwrap().unwrap()
    }

    #[test]
    fn a_written_sample_part_reads_back_as_the_frame_with_the_statistics_readers_filter_by() {
        use polars_parquet::parquet::statistics::Statistics;
        let (a, b) = two_activities();
        let rows = [("a-0", &a), ("b-0", &b)];
        let mut bytes = Vec::new();
        write_samples(&rows, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        assert_two_activities(&back);
        // Same columns, same types, same values as the frame.
        assert!(back.equals_missing(&samples_frame(&rows).unwrap()));

        let stats = |name: &str| column_statistics(&bytes, name);
        // Time: 1 s to 7 s after the epoch, in ms; heart rate 120 to 152, one missing.
        let Statistics::Int64(t) = stats("time") else { panic!("time is not int64") };
        assert_eq!((t.min_value, t.max_value, t.null_count), (Some(1_000), Some(7_000), Some(0)));
        let Statistics::Int32(hr) = stats("heart_rate") else { panic!("hr is not int32") };
        assert_eq!((hr.min_value, hr.max_value, hr.null_count), (Some(120), Some(152), Some(1)));
        // The other measures carry null counts only: two missing distances, no min or max.
        let Statistics::Double(d) = stats("distance_m") else { panic!("distance is not double") };
        assert_eq!((d.min_value, d.max_value, d.null_count), (None, None, Some(2)));
        // The ids are dictionary-encoded: two values, one key per row.
        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
        let chunks = meta.row_groups[0].parquet_columns();
        let ids = chunks.iter().find(|c| c.descriptor().path_in_schema[0] == "activity_id");
        assert!(ids.unwrap().dictionary_page_offset().is_some());
    }

    #[test]
    fn a_table_reads_back_the_same_with_strings_as_dictionaries_but_unique_ones_plain() {
        use polars_parquet::parquet::statistics::Statistics;
        use polars_parquet::write::CompressionOptions;
        let df = df! {
            "path" => ["a/1.fit", "a/2.fit", "b/3.gpx", "b/4.tcx"],
            "format" => [Some("fit"), Some("fit"), None, Some("tcx")],
            "size" => [10i64, 20, 30, 40],
            "load" => [Some(1.5), None, Some(-2.0), Some(0.25)],
            "partial" => [false, true, false, false],
        }
        .unwrap();
        for compression in [CompressionOptions::Snappy, CompressionOptions::Zstd(None)] {
            let mut bytes = Vec::new();
            write_table(&df, &["path"], compression, &mut bytes).unwrap();
            let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
            assert!(back.equals_missing(&df), "{back}");
            let meta =
                polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
            let chunks = meta.row_groups[0].parquet_columns();
            let dictionary = |name: &str| {
                let c = chunks.iter().find(|c| c.descriptor().path_in_schema[0] == name);
                c.unwrap().dictionary_page_offset().is_some()
            };
            // A string column named unique is plain; the other one a dictionary; numbers and
            // flags plain (Polars' writer would try a dictionary for the integers too).
            let kinds: Vec<bool> =
                ["path", "format", "size", "load", "partial"].map(dictionary).to_vec();
            assert_eq!(kinds, [false, true, false, false, false]);
            // Statistics for every column, as Polars' writer makes them.
            let stats = |name: &str| column_statistics(&bytes, name);
            let Statistics::Int64(size) = stats("size") else { panic!("size is not int64") };
            assert_eq!(
                (size.min_value, size.max_value, size.null_count),
                (Some(10), Some(40), Some(0))
            );
            let Statistics::Double(load) = stats("load") else { panic!("load is not double") };
            assert_eq!(
                (load.min_value, load.max_value, load.null_count),
                (Some(-2.0), Some(1.5), Some(1))
            );
            let Statistics::Binary(format) = stats("format") else {
                panic!("format is not binary")
            };
            assert_eq!(format.min_value.as_deref(), Some(&b"fit"[..]));
            assert_eq!(
                (format.max_value.as_deref(), format.null_count),
                (Some(&b"tcx"[..]), Some(1))
            );
        }
    }

    #[test]
    fn definition_levels_go_as_runs_of_rows_alike_and_bit_packed_bytes_between() {
        // 10 present, 8 alternating from missing, 9 missing, 2 present and 1 missing.
        let mut valid = vec![true; 10];
        valid.extend([false, true, false, true, false, true, false, true]);
        valid.extend([false; 9]);
        valid.extend([true, true, false]);
        let mut out = Vec::new();
        def_levels(&mut out, &polars_arrow::bitmap::Bitmap::from_iter(valid));
        // By hand, from the Parquet spec: a run of 10 ones is (10 << 1, 1); the next 8 rows
        // are one bit-packed byte, (1 << 1 | 1, 0b1010_1010), as the run after them is 9 long;
        // 9 zeros (9 << 1, 0); the last 3 rows a last byte, their bits 1, 1, 0 from the lowest.
        assert_eq!(out, [0x14, 0x01, 0x03, 0xAA, 0x12, 0x00, 0x03, 0b011]);
    }

    #[test]
    fn plain_columns_over_several_pages_read_back_with_every_gap_and_their_statistics() {
        use polars_parquet::parquet::statistics::Statistics;
        // 300,001 rows: three pages of the 131,072 doubles or times a page holds. A time
        // missing every 1,000th row and stepping by 999, 999 and 1,002 ms, a heart rate missing
        // every 7th row, an altitude never there, a speed missing across the first page's end,
        // and a cadence present every 40th row.
        let n = 300_001;
        let mut s = Samples::default();
        for i in 0..n {
            s.push(SampleRow {
                time_ms: (i % 1000 != 999).then_some(i as i64 * 1000 - (i % 3) as i64),
                heart_rate: (i % 7 != 0).then_some(60 + (i % 150) as i32),
                speed_m_s: (!(131_000..131_200).contains(&i)).then_some(i as f64 / 8.0),
                cadence: (i % 40 == 3).then_some(80 + (i % 11) as i32),
                ..Default::default()
            });
        }
        // And a second activity of 10 rows: the ids' keys cross the first page of keys
        // (262,144 of them) in a run.
        let mut t = Samples::default();
        for i in 0..10 {
            t.push(SampleRow { time_ms: Some(i), ..Default::default() });
        }
        let rows = [("a-0", &s), ("b-0", &t)];
        let n = n + 10;
        let mut bytes = Vec::new();
        write_samples(&rows, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        assert!(back.equals_missing(&samples_frame(&rows).unwrap()));
        // The second activity has none of the measures.
        assert_eq!(back.column("speed_m_s").unwrap().null_count(), 200 + 10);
        assert_eq!(back.column("altitude_m").unwrap().null_count(), n);

        let stats = |name: &str| column_statistics(&bytes, name);
        // Times from row 0 (0 ms) to row 300,000 (300,000,000 ms), 300 rows without.
        let Statistics::Int64(t) = stats("time") else { panic!("time is not int64") };
        assert_eq!(
            (t.min_value, t.max_value, t.null_count),
            (Some(0), Some(300_000_000), Some(300))
        );
        let Statistics::Binary(ids) = stats("activity_id") else { panic!("ids are not binary") };
        assert_eq!((ids.min_value, ids.max_value), (Some(b"a-0".to_vec()), Some(b"b-0".to_vec())));
        assert_eq!(ids.null_count, Some(0));
        // Rows 0, 7, ... 299,999 miss their heart rate: 42,858 of them, and the 10 of the
        // second activity. 7 and 150 share no factor, so every value 60 + 0..150 comes, from
        // 60 to 209.
        let Statistics::Int32(hr) = stats("heart_rate") else { panic!("hr is not int32") };
        assert_eq!(
            (hr.min_value, hr.max_value, hr.null_count),
            (Some(60), Some(209), Some(42_858 + 10))
        );
        // Rows 3, 43, ... 299,963 have a cadence: 7,500 of them.
        let Statistics::Int32(c) = stats("cadence") else { panic!("cadence is not int32") };
        assert_eq!((c.min_value, c.max_value, c.null_count), (None, None, Some(n as i64 - 7_500)));
    }

    #[test]
    fn pages_built_across_many_small_activities_read_back_as_the_frame() {
        use polars_parquet::parquet::statistics::Statistics;
        // 2,400 activities of 1 to 257 rows (about 310,000 in all: pages of doubles and times
        // end inside activities, at rows no multiple of 8 within them), gaps at every
        // pattern: a heart rate missing every 5th row of the whole part, a speed only in every
        // third activity, a cadence missing in its first 3 rows, an altitude never there.
        // Every fourth activity is built as the FIT decoder builds them, a value at a time
        // where there is one: its columns never written are held without buffers.
        let mut all = Vec::new();
        let mut row = 0i64;
        for a in 0..2_400usize {
            let mut s = Samples::default();
            for i in 0..(a * 37 % 257 + 1) {
                let r = SampleRow {
                    time_ms: Some(row * 1000 + (a % 3) as i64),
                    heart_rate: (row % 5 != 0).then_some(50 + (row % 170) as i32),
                    speed_m_s: (a % 3 == 0).then_some(row as f64 / 4.0),
                    cadence: (i >= 3).then_some((row % 90) as i32),
                    ..Default::default()
                };
                if a % 4 == 1 {
                    let c = s.columns_mut();
                    c.time_ms.push(r.time_ms);
                    let at = |c: &mut SampleColumn<i32>, v: Option<i32>| {
                        if v.is_some() {
                            c.put(i, v)
                        }
                    };
                    at(&mut c.heart_rate, r.heart_rate);
                    at(&mut c.cadence, r.cadence);
                    if r.speed_m_s.is_some() {
                        c.speed_m_s.put(i, r.speed_m_s);
                    }
                } else {
                    s.push(r);
                }
                row += 1;
            }
            s.pad_columns();
            all.push((format!("act-{a}"), s));
        }
        assert_eq!(all.iter().filter(|(_, s)| s.altitude_m.bare()).count(), 600);
        assert!(all.iter().any(|(_, s)| s.speed_m_s.bare()));
        assert!(all.iter().all(|(_, s)| !s.altitude_m.bare() || s.altitude_m.values().is_empty()));
        let rows: Vec<(&str, &Samples)> = all.iter().map(|(id, s)| (id.as_str(), s)).collect();
        let n = row as usize;
        assert!(n > 2 * rows_per_page::<f64>());
        let mut bytes = Vec::new();
        write_samples(&rows, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        // The frame Polars builds from the same samples, column by column.
        assert!(back.equals_missing(&samples_frame(&rows).unwrap()));
        assert_eq!(back.column("altitude_m").unwrap().null_count(), n);
        let stats = |name: &str| column_statistics(&bytes, name);
        let Statistics::Int64(t) = stats("time") else { panic!("time is not int64") };
        let last = (n as i64 - 1) * 1000 + (2_399 % 3) as i64;
        assert_eq!((t.min_value, t.max_value, t.null_count), (Some(0), Some(last), Some(0)));
        // Rows 0, 5, 10, ... miss their heart rate, and with them every row whose 50 + row % 170
        // would be 50 (170 is a multiple of 5): the values run from 51 to 219.
        let Statistics::Int32(hr) = stats("heart_rate") else { panic!("hr is not int32") };
        let missing = n.div_ceil(5) as i64;
        assert_eq!(
            (hr.min_value, hr.max_value, hr.null_count),
            (Some(51), Some(219), Some(missing))
        );
    }

    #[test]
    fn delta_encoding_is_polars_own_byte_for_byte_within_a_block() {
        use polars_parquet::write::{CompressionOptions, StatisticsOptions, WriteOptions};
        use polars_parquet::write::{Version, array_to_columns, to_parquet_type};
        // 257 values (the first and a block of 256 deltas): steps, steps back, a jump of 285
        // years, a repeat. Polars pads a block's last deltas with what its buffer held before,
        // zeros in the first block: beyond it only the values can match, which the other tests
        // read back.
        let mut values = vec![0i64];
        for i in 1..257i64 {
            let last = values[values.len() - 1];
            values.push(match i % 50 {
                0 => last + 9_000_000_000_000,
                7 => last - 4_000,
                13 => last,
                _ => last + 1_000 + i * i,
            });
        }
        let field = polars_arrow::datatypes::Field::new("t".into(), ArrowDataType::Int64, true);
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        };
        let array = PrimitiveArray::from_vec(values.clone()).boxed();
        let type_ = to_parquet_type(&field).unwrap();
        let mut pages = array_to_columns(array, type_, options, &[Encoding::DeltaBinaryPacked])
            .unwrap()
            .remove(0);
        let Some(Ok(Page::Data(page))) = pages.next() else { panic!("no data page") };
        // Past the levels (their length, then the levels).
        let buffer = page.buffer();
        let levels = i32::from_le_bytes(buffer[..4].try_into().unwrap()) as usize;
        let mut ours = Vec::new();
        delta_binary_packed(&values, &mut ours);
        assert_eq!(ours, buffer[4 + levels..]);
        // The header by hand: block size 256 (varint 0x80 0x02), one miniblock, 257 values,
        // first value 0 (zigzag 0).
        assert_eq!(ours[..6], [0x80, 0x02, 0x01, 0x81, 0x02, 0x00]);
    }

    #[test]
    fn dictionary_keys_go_as_runs_and_bit_packed_groups() {
        let mut out = Vec::new();
        hybrid(&mut out, &[5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 2, 3, 7, 7], 3);
        // By hand, from the Parquet spec: nine 5s are a run, (9 << 1, 5 in one byte); then
        // one group of 8 values (1 << 1 | 1) holding 1, 2, 3, 7, 7 and three zeros at 3 bits
        // each from the lowest: 1 | 2 << 3 | 3 << 6 | 7 << 9 | 7 << 12 = 0x7ED1, in 3 bytes.
        assert_eq!(out, [0x12, 0x05, 0x03, 0xD1, 0x7E, 0x00]);
        // One key, width 0: a run without value bytes; a last short run ends the values.
        let mut out = Vec::new();
        hybrid(&mut out, &[0, 0, 0], 0);
        assert_eq!(out, [0x06]);
    }

    #[test]
    fn delta_encoded_times_keep_gaps_steps_back_and_far_jumps() {
        // A missing time, a step back, a repeat and a jump of 285 years, as files have them.
        let times = [Some(5_000), None, Some(3_000), Some(3_000), Some(9_000_000_000_000), None];
        let mut s = Samples::default();
        for t in times {
            s.push(restday_model::SampleRow { time_ms: t, ..Default::default() });
        }
        let mut bytes = Vec::new();
        write_samples(&[("x-0", &s)], &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        let got: Vec<Option<i64>> = back
            .column("time")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(got, times.to_vec());
    }

    #[test]
    fn figures_read_activities_by_place_and_come_back_named() {
        let (a, b) = two_activities();
        let rows = [("a-0", &a), ("b-0", &b)];
        let df = keyed_heart_rate_frame(&rows).unwrap();
        let keys: Vec<Option<u32>> =
            df.column(ACTIVITY_KEY).unwrap().u32().unwrap().iter().collect();
        assert_eq!(keys, [0, 0, 1, 1, 1].map(Some).to_vec());
        assert_eq!(
            i32s(&df, "heart_rate").unwrap(),
            i32s(&samples_frame(&rows).unwrap(), "heart_rate").unwrap()
        );
        // Figures keyed 1, 0, 1: written with the ids in the keys' place.
        let figures = DataFrame::new(
            3,
            vec![
                Column::new(ACTIVITY_KEY.into(), [1u32, 0, 1]),
                Column::new("heart_rate".into(), [Some(150i32), Some(120), None]),
                Column::new("seconds".into(), [3.0, 1.0, 2.0]),
            ],
        )
        .unwrap();
        let ids = ["a-0", "b-0"];
        let mut bytes = Vec::new();
        write_figures(&figures, &ids, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        assert_eq!(back.get_column_names(), ["activity_id", "heart_rate", "seconds"]);
        assert_eq!(
            strs(&back, "activity_id").unwrap(),
            ["b-0", "a-0", "b-0"].map(|s| Some(s.to_string()))
        );
        assert_eq!(i32s(&back, "heart_rate").unwrap(), vec![Some(150), Some(120), None]);
        assert_eq!(f64s(&back, "seconds").unwrap(), [3.0, 1.0, 2.0].map(Some).to_vec());
        // A key with no activity behind it is an error, not a wrong id.
        let stray = DataFrame::new(1, vec![Column::new(ACTIVITY_KEY.into(), [2u32])]).unwrap();
        assert!(write_figures(&stray, &ids, &mut Vec::new()).is_err());
    }

    #[test]
    fn a_written_wellness_part_reads_back_as_the_frame() {
        use restday_model::WellnessMetric::{HeartRate, RestingHeartRate, RrInterval, SleepLevel};
        let (fit, json) = ("export.zip!a.fit", "export.zip!a.json");
        let file = |rows, path: &str, hash: &str| StoredWellness {
            rows,
            file_hash: hash.into(),
            source_path: path.into(),
        };
        // Two files, the first one's readings again in a third (another copy's), one empty.
        let first = vec![
            WellnessRow::at(1_000, RrInterval, 594.0),
            WellnessRow::at(2_000, RrInterval, 588.0),
            WellnessRow { end_ms: Some(9_000), ..WellnessRow::at(3_000, SleepLevel, 2.0) },
        ];
        let rows = vec![
            file(first, fit, "h1"),
            file(vec![WellnessRow::on(20_000, RestingHeartRate, 48.0)], json, "h2"),
            file(vec![], json, "h3"),
            file(vec![WellnessRow::at(4_000, HeartRate, 61.0)], fit, "h1"),
        ];
        assert_eq!(readings(&rows), 5);
        let mut bytes = Vec::new();
        write_wellness(&rows, 7, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        let frame = wellness_frame(&rows, 7).unwrap();
        assert!(back.equals_missing(&frame), "{back}\n{frame}");
        let paths = [fit, fit, fit, json, fit].map(|p| Some(p.to_string()));
        assert_eq!(strs(&back, "source_path").unwrap(), paths);
        let hashes = ["h1", "h1", "h1", "h2", "h1"].map(|h| Some(h.to_string()));
        assert_eq!(strs(&back, "file_hash").unwrap(), hashes);
        let metric = strs(&back, "metric").unwrap();
        assert_eq!(metric[3].as_deref(), Some(RestingHeartRate.as_str()));
        assert_eq!(metric[4].as_deref(), Some(HeartRate.as_str()));
        // No reading at all with a value in a column (only timed readings): still readable.
        let mut bytes = Vec::new();
        write_wellness(&rows[..1], 7, &mut bytes).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(&bytes)).finish().unwrap();
        assert!(back.equals_missing(&wellness_frame(&rows[..1], 7).unwrap()));
        assert_eq!(back.column("record").unwrap().null_count(), 3);
    }
}
