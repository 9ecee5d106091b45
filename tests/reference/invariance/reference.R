## reference.R -- lavaan's multi-group CFA fit measures, the reference of toolkit.stats.invariance
##
## Run from this folder:
##   cd tests/reference/invariance && Rscript reference.R > reference_output.txt 2>&1
##
## Needs R with Debian's r-cran-lavaan (apt-get install r-cran-lavaan). Nothing from CRAN.
## The sample and synthetic CSVs are written beforehand by make_data.py (see README.md); this script writes
## HolzingerSwineford1939.csv itself, from lavaan's own data set.
##
## For every data set and every level it calls, with lavaan's defaults otherwise
## (estimator = "ML", likelihood = "normal", missing = "listwise", the first loading of every
## factor fixed to 1, a mean structure because there are groups):
##   configural: cfa(model, data, group = g)
##   metric:     cfa(model, data, group = g, group.equal = "loadings")
##   scalar:     cfa(model, data, group = g, group.equal = c("loadings", "intercepts"))
## and prints fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic",
## "bic")) plus the numbers behind them, then lavTestLRT(configural, metric, scalar).
## Everything is also written to lavaan_fit.csv (one row per data set and level, 15 significant
## digits), which the Python tests read.

suppressPackageStartupMessages(library(lavaan))
options(width = 120, warn = 1)

fmt <- function(x) {
  x <- as.numeric(x)
  out <- sprintf("%.15g", x)
  out[is.na(x)] <- "NA"
  out[is.nan(x)] <- "NaN"
  out
}

MEASURES <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
EXTRA <- c("npar", "ntotal", "logl", "unrestricted.logl", "baseline.chisq", "baseline.df",
           "srmr_bentler", "srmr_bentler_nomean")
LEVELS <- list(configural = "", metric = "loadings",
               scalar = c("loadings", "intercepts"))

rows <- list()

run <- function(name, model, data, group, what) {
  cat("\n", strrep("=", 100), "\n", sep = "")
  cat("data set:", name, "--", what, "\n")
  cat("model:\n", model, "\n", sep = "")
  fits <- list()
  for (level in names(LEVELS)) {
    fit <- cfa(model, data = data, group = group, group.equal = LEVELS[[level]])
    fits[[level]] <- fit
    fm <- fitMeasures(fit, c(MEASURES, EXTRA))
    cat("\n--", level, " cfa(model, data, group = \"", group, "\", group.equal = ",
        deparse(LEVELS[[level]]), ")\n", sep = "")
    cat("groups (lavaan order) and complete rows: ",
        paste(lavInspect(fit, "group.label"), unlist(lavInspect(fit, "nobs")),
              sep = " = ", collapse = ", "),
        "; rows read: ", nrow(data), "; converged: ", lavInspect(fit, "converged"), "\n", sep = "")
    print(round(fm[MEASURES], 6))
    print(round(fm[EXTRA], 6))
    pe <- parameterEstimates(fit)
    neg <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$est < 0, c("lhs", "group", "est")]
    neg$group <- lavInspect(fit, "group.label")[neg$group]
    if (nrow(neg) > 0) { cat("negative variances:\n"); print(neg, row.names = FALSE) }
    rows[[length(rows) + 1]] <<- data.frame(
      dataset = name, level = level, t(setNames(fmt(fm[c(MEASURES, EXTRA)]), c(MEASURES, EXTRA))),
      n_rows = nrow(data), groups = paste(lavInspect(fit, "group.label"), collapse = ";"),
      group_n = paste(unlist(lavInspect(fit, "nobs")), collapse = ";"),
      converged = lavInspect(fit, "converged"),
      negative_variances = paste(neg$lhs, neg$group, fmt(neg$est), sep = ":", collapse = ";"),
      check.names = FALSE)
  }
  cat("\n-- lavTestLRT(configural, metric, scalar)\n")
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
  print(lrt)
  n <- length(rows)
  idx <- (n - 2):n
  for (k in seq_along(idx)) {
    rows[[idx[k]]]$delta_chisq <<- fmt(lrt[k, "Chisq diff"])
    rows[[idx[k]]]$delta_df <<- fmt(lrt[k, "Df diff"])
    rows[[idx[k]]]$p_delta <<- fmt(lrt[k, "Pr(>Chisq)"])
  }
  invisible(fits)
}

## -------------------------------------------------------------------------------------------
## (a) lavaan's own HolzingerSwineford1939: 3 factors of 3 items, two schools
## -------------------------------------------------------------------------------------------
hs <- HolzingerSwineford1939[, c("id", "school", paste0("x", 1:9))]
write.csv(hs, "HolzingerSwineford1939.csv", row.names = FALSE)
hs <- read.csv("HolzingerSwineford1939.csv")  # fit what the Python tests read
HS <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
run("hs", HS, hs, "school", "lavaan::HolzingerSwineford1939, 3 factors, group = school")

## -------------------------------------------------------------------------------------------
## (b) the sample organisation, wave 2026Q1, across reported cadence
## -------------------------------------------------------------------------------------------
sample <- read.csv("sample_2026Q1.csv")
wm <- sample[sample$cadence %in% c("weekly", "monthly"), ]
DEPTH <- "depth =~ depth_beyond_status + depth_how_work + depth_why + depth_growth + depth_repeats"
AVAIL <- "availability =~ avail_reachable + avail_makes_time + avail_unplanned + avail_wait"
CONTACT <- "informal_contact =~ contact_chat + contact_talk + contact_quick_questions"
run("depth_wm", DEPTH, wm, "cadence", "sample 2026Q1, depth (5 items), weekly vs monthly")
run("depth_all", DEPTH, sample, "cadence", "sample 2026Q1, depth (5 items), all five cadences")
run("availability_wm", AVAIL, wm, "cadence", "sample 2026Q1, availability (4 items), weekly vs monthly")
run("availability_all", AVAIL, sample, "cadence", "sample 2026Q1, availability (4 items), all five cadences")
run("availability_depth_wm", paste(AVAIL, DEPTH, sep = "\n"), wm, "cadence",
    "sample 2026Q1, availability and depth as two correlated factors, weekly vs monthly")

## -------------------------------------------------------------------------------------------
## (c) edge cases: a 3-item factor (configural model just identified, df 0), unequal groups
## -------------------------------------------------------------------------------------------
edge <- read.csv("edge_contact.csv")
run("contact_edge", CONTACT, edge, "cadence",
    "informal_contact (3 items), 79 weekly vs 30 monthly: configural df 0, unequal groups")
run("contact_all", CONTACT, sample, "cadence",
    "sample 2026Q1, informal_contact (3 items), all five cadences (df 0 configural)")

## -------------------------------------------------------------------------------------------
## (d) synthetic data (make_data.py): rows without a group (lavaan warns and leaves them out),
##     two factors of 2 items each, three groups; and an improper solution (a negative residual
##     variance of x, lavaan warns "some estimated ov variances are negative")
## -------------------------------------------------------------------------------------------
synthetic <- read.csv("synthetic.csv")
run("synthetic_two_factors", "f1 =~ a + b\nf2 =~ c + d", synthetic, "grp",
    "synthetic, two factors of 2 items, groups u, v, w, 2 rows without a group, 4 missing answers")
run("synthetic_heywood", "f =~ x + y + z", synthetic, "grp",
    "synthetic, one factor of 3 items with a negative residual variance (Heywood case)")

## (e) a marker that barely loads (make_data.py, weak_marker.csv): long flat ridges in the
##     likelihood; the metric solution has loadings near -68 and a factor variance near 0.0002
weak <- read.csv("weak_marker.csv")
run("weak_marker", "f1 =~ w0 + w1 + w2 + w3 + w4\nf2 =~ w5 + w6 + w7 + w8 + w9", weak, "grp",
    "synthetic, two factors of 5 items; the marker w5 of f2 loads 0.25 in u and -0.25 in v")

## -------------------------------------------------------------------------------------------
## what lavaan does with a one-factor model of 2 items (the Python code refuses it)
## -------------------------------------------------------------------------------------------
cat("\n", strrep("=", 100), "\n", sep = "")
cat("a one-factor model with 2 items, weekly vs monthly: not identified\n")
two <- cfa("F =~ depth_beyond_status + depth_how_work", data = wm, group = "cadence")
print(fitMeasures(two, c("chisq", "df", "npar")))

out <- do.call(rbind, rows)
write.csv(out, "lavaan_fit.csv", row.names = FALSE, quote = FALSE)
cat("\nwrote lavaan_fit.csv:", nrow(out), "rows\n\n")
sessionInfo()
