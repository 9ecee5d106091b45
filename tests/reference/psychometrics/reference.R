## reference.R -- external reference values (from R) for the toolkit's psychometrics
##
## Run from this folder:
##   cd tests/reference/psychometrics && Rscript reference.R > reference_output.txt 2>&1
##
## Needs R with the Debian packages r-cran-psych, r-cran-multilevel (and r-cran-gparotation,
## which psych::omega requires). Nothing is installed from CRAN.
##
## What it does
##   (a) writes the input data sets to CSV in this folder, so that the Python tests read exactly
##       the numbers R used:
##         data_A_lq2002.csv  -- data set A: multilevel's own `lq2002` (Bliese, Halverson &
##                              Schriesheim 2002 leadership climate data): the 11 leadership
##                              climate items LEAD01..LEAD11 (5-point, 1..5) and the company id
##                              COMPID (49 groups, 2042 soldiers, no missing values).
##         data_B_sample.csv  -- data set B: the project's own sample wave 2026Q1, construct
##                              "depth" (5 items, agree5 = 1..5), grouped by `team`.
##         data_C_edge.csv    -- data set C: B with deliberate edge cases (see section 3).
##         (C_const, C_sparse, C_k2, C_n2, C_n1 are subsets/extensions of C, also written out)
##   (b) computes psych::alpha, psych::omega / psych::fa (one factor), the item statistics,
##       multilevel::ICC1 / ICC2 on aov(score ~ as.factor(group)), multilevel::rwg.j, rwg,
##       awg and ad.m per group;
##   (c) writes every result to tidy CSV files, numbers printed with sprintf("%.15g")
##       (15 significant digits; "NA" = R's NA, "NaN" = R's NaN), and prints a readable summary.
##
## See README.md in this folder for the definitions and the exact R calls behind every column.

suppressPackageStartupMessages({
  library(psych)
  library(multilevel)
  library(GPArotation)
})

options(width = 120, warn = 1)          # warnings printed as they happen (into reference_output.txt)
out_dir <- "."                          # this folder (run the script from here)
A_POINTS <- 5                           # all data sets here use a 1..5 response scale
RANVAR <- (A_POINTS^2 - 1) / 12         # uniform null variance, = 2 for 5 points
RANGE <- c(1, A_POINTS)                 # range argument of multilevel::awg

## ---------------------------------------------------------------------------------------------
## helpers
## ---------------------------------------------------------------------------------------------

## numbers as text with 15 significant digits; NA -> "NA", NaN -> "NaN"
fmt <- function(x) {
  x <- as.numeric(x)
  out <- sprintf("%.15g", x)
  out[is.na(x)] <- "NA"
  out[is.nan(x)] <- "NaN"
  out
}

## write a data frame: numeric columns via fmt(), character columns quoted only if needed
write_tidy <- function(df, name) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  for (j in seq_along(df)) {
    if (is.numeric(df[[j]]) || is.logical(df[[j]])) df[[j]] <- fmt(df[[j]])
    else df[[j]] <- as.character(df[[j]])
  }
  needs_quote <- which(vapply(df, function(col) any(grepl("[,\"\n]", col)), logical(1)))
  write.table(df, file.path(out_dir, name), sep = ",", row.names = FALSE,
              quote = if (length(needs_quote)) needs_quote else FALSE, na = "NA")
  cat(sprintf("  wrote %s (%d rows)\n", name, nrow(df)))
}

## write an input data set: plain numbers, missing values as empty fields
write_input <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "")
  cat(sprintf("  wrote %s (%d rows x %d columns)\n", name, nrow(df), ncol(df)))
}

## run an expression, collecting warnings and an error (if any) into the outcomes table
outcomes <- data.frame(dataset = character(), call = character(), outcome = character(),
                       message = character(), stringsAsFactors = FALSE)
record <- function(dataset, call, outcome, message) {
  message <- gsub("[\r\n]+", " ", message)
  outcomes[nrow(outcomes) + 1, ] <<- list(dataset, call, outcome, message)
}
capture <- function(dataset, call, expr) {
  warned <- FALSE
  value <- tryCatch(
    withCallingHandlers(expr, warning = function(w) {
      warned <<- TRUE
      record(dataset, call, "warning", conditionMessage(w))
      invokeRestart("muffleWarning")
    }),
    error = function(e) {
      record(dataset, call, "error", conditionMessage(e))
      cat(sprintf("  [%s] %s -> ERROR: %s\n", dataset, call, conditionMessage(e)))
      NULL
    })
  if (!is.null(value) && !warned) record(dataset, call, "ok", "")
  value
}

banner <- function(txt) cat("\n", strrep("=", 90), "\n", txt, "\n", strrep("=", 90), "\n", sep = "")

## ---------------------------------------------------------------------------------------------
## 1. data set A: multilevel::lq2002 (not made by this project)
## ---------------------------------------------------------------------------------------------
banner("1. Data set A: multilevel::lq2002, leadership climate items LEAD01..LEAD11, group COMPID")
data(lq2002, package = "multilevel")
A_items <- sprintf("LEAD%02d", 1:11)
A <- lq2002[, c("COMPID", "SUB", A_items)]
A$score <- rowMeans(A[, A_items], na.rm = TRUE)   # scale score = row mean of the items
write_input(A, "data_A_lq2002.csv")

## ---------------------------------------------------------------------------------------------
## 2. data set B: the project's own sample, construct "depth"
## ---------------------------------------------------------------------------------------------
banner("2. Data set B: data/sample/responses_2026Q1.csv, construct depth (5 items), group team")
raw <- read.csv("../../../data/sample/responses_2026Q1.csv", stringsAsFactors = FALSE,
                colClasses = c(respondent = "character", team = "character",
                               submitted_at = "character"))
cat(sprintf("  raw rows: %d\n", nrow(raw)))
raw$file_row <- seq_len(nrow(raw))               # 1-based data row in the source CSV
raw <- raw[raw$attention == 2, ]                 # keep passed attention checks (expected code 2)
cat(sprintf("  after attention == 2: %d\n", nrow(raw)))
## first submission per respondent: earliest submitted_at (ISO-8601 UTC strings, so text order is
## time order), ties broken by file order
raw <- raw[order(raw$submitted_at, raw$file_row), ]
raw <- raw[!duplicated(raw$respondent), ]
raw <- raw[order(raw$file_row), ]                # back to file order
cat(sprintf("  after first submission per respondent: %d\n", nrow(raw)))
depth_src <- c("depth_beyond_status", "depth_how_work", "depth_why", "depth_growth", "depth_repeats")
B_items <- c("depth_beyond_status", "depth_how_work", "depth_why", "depth_growth", "depth_repeats_r")
B <- data.frame(file_row = raw$file_row, respondent = raw$respondent, team = raw$team,
                stringsAsFactors = FALSE)
for (i in seq_along(depth_src)) {
  v <- as.numeric(raw[[depth_src[i]]])
  v[v == 9] <- NA                                # 9 = "not applicable" -> missing
  if (depth_src[i] == "depth_repeats") v <- 6 - v   # reverse-keyed item: 6 - x (after 9 -> NA)
  B[[B_items[i]]] <- v
}
B$score <- rowMeans(B[, B_items], na.rm = TRUE)   # NaN when every item is missing
write_input(B, "data_B_sample.csv")
cat("  team sizes in B:\n"); print(table(B$team))

## ---------------------------------------------------------------------------------------------
## 3. data set C: B with deliberate edge cases
## ---------------------------------------------------------------------------------------------
banner("3. Data set C: B with deliberate edge cases")
C <- B
C$edit <- ""
keep_first <- function(df, team, n) {            # reduce a team to its first n rows
  rows <- which(df$team == team)
  drop <- rows[-seq_len(n)]
  if (length(drop)) df <- df[-drop, ]
  df
}
## t03: reduced to size 1
C <- keep_first(C, "t03", 1); C$edit[C$team == "t03"] <- "size1"
## t04: reduced to size 2
C <- keep_first(C, "t04", 2); C$edit[C$team == "t04"] <- "size2"
## t08 (8 members): everyone gives identical answers 4,4,3,5,1 (items in order)
r <- which(C$team == "t08")
C[r, B_items] <- matrix(c(4, 4, 3, 5, 1), nrow = length(r), ncol = 5, byrow = TRUE)
C$edit[r] <- "identical_4_4_3_5_1"
## t09 (7 members): polarised, members alternate all-1 and all-5 (variance above the null)
r <- which(C$team == "t09")
C[r, B_items] <- rep(rep_len(c(1, 5), length(r)), times = 5)
C$edit[r] <- "polarised_1_5"
## t12 (10 members): every member but the first misses depth_why, so only one member has a
## complete set of items (listwise deletion leaves a group of 1 for the item-block functions)
r <- which(C$team == "t12")
C[r[-1], "depth_why"] <- NA
C$edit[r[-1]] <- "depth_why_NA"
C$edit[r[1]] <- "only_complete_member"
## t13: reduced to size 2, the second member misses depth_growth
C <- keep_first(C, "t13", 2)
r <- which(C$team == "t13")
C[r[2], "depth_growth"] <- NA
C$edit[r] <- c("size2_complete", "size2_depth_growth_NA")
## t14: reduced to size 1, and that member's items all missing (score NaN: the group vanishes)
C <- keep_first(C, "t14", 1)
C[C$team == "t14", B_items] <- NA
C$edit[C$team == "t14"] <- "size1_all_items_NA"
## t18: reduced to size 2, both answer 5 on every item (agreement at the scale maximum)
C <- keep_first(C, "t18", 2)
C[C$team == "t18", B_items] <- 5
C$edit[C$team == "t18"] <- "size2_all_5"
## t19: reduced to size 3, all answer 2 on every item (agreement near the scale minimum)
C <- keep_first(C, "t19", 3)
C[C$team == "t19", B_items] <- 2
C$edit[C$team == "t19"] <- "size3_all_2"
## t21: first member misses every item; second member answers only depth_how_work
r <- which(C$team == "t21")
C[r[1], B_items] <- NA
C$edit[r[1]] <- "all_items_NA"
C[r[2], setdiff(B_items, "depth_how_work")] <- NA
C$edit[r[2]] <- "only_depth_how_work"
## scattered missing answers: about 4% of the item cells of the untouched rows, seed 2026
set.seed(2026)
untouched <- which(C$edit == "")
cells <- expand.grid(row = untouched, col = B_items, stringsAsFactors = FALSE)
pick <- sample(nrow(cells), round(0.04 * nrow(cells)))
for (p in pick) C[cells$row[p], cells$col[p]] <- NA
C$edit[unique(cells$row[pick])] <- "random_NA"
C$score <- rowMeans(C[, B_items], na.rm = TRUE)
rownames(C) <- NULL
write_input(C, "data_C_edge.csv")
cat("  team sizes in C:\n"); print(table(C$team))
cat("  rows with any missing item:", sum(!complete.cases(C[, B_items])), "\n")

## derived item blocks for the reliability edge cases
C_const <- C[, c("file_row", "team", B_items)]
C_const$const_item <- 3                           # a constant item (every row answers 3)
write_input(C_const, "data_C_const.csv")
C_sparse <- C[, c("file_row", "team", B_items)]
C_sparse$sparse_item <- NA_real_                  # an item with exactly one valid answer
C_sparse$sparse_item[1] <- 4
write_input(C_sparse, "data_C_sparse.csv")
## C_k2 = the first two items of C (psych's special two-item branch); no extra file needed:
##        columns depth_beyond_status, depth_how_work of data_C_edge.csv
## C_n2 = the first two rows of C; C_n1 = the first row of C (also no extra file: rows 1..2 / 1
##        of data_C_edge.csv)

## ---------------------------------------------------------------------------------------------
## 4. reliability: psych::alpha, omega (one factor), item statistics
## ---------------------------------------------------------------------------------------------
banner("4. Reliability: psych::alpha, psych::omega(nfactors = 1), psych::fa(nfactors = 1)")

reliability <- function(name, x) {
  cat(sprintf("\n--- reliability %s: %d rows x %d items ---\n", name, nrow(x), ncol(x)))
  x <- as.data.frame(x)
  a_def <- capture(name, "psych::alpha(x)", psych::alpha(x))
  a_nok <- capture(name, "psych::alpha(x, check.keys = FALSE)", psych::alpha(x, check.keys = FALSE))
  if (!is.null(a_def)) {
    print(a_def, digits = 6)
    same <- isTRUE(all.equal(unlist(a_def$total), unlist(a_nok$total), tolerance = 0)) &&
      isTRUE(all.equal(a_def$item.stats, a_nok$item.stats, tolerance = 0))
    cat(sprintf("  default == check.keys=FALSE: %s\n", same))
    tot <- a_def$total
    stats <- c(
      raw_alpha = tot$raw_alpha, std_alpha = tot$std.alpha, G6_smc = tot$`G6(smc)`,
      average_r = tot$average_r, S_N = tot$`S/N`, ase = tot$ase,
      mean = tot$mean, sd = tot$sd, median_r = tot$median_r,
      feldt_lower = unname(unlist(a_def$feldt$lower.ci)),
      feldt_upper = unname(unlist(a_def$feldt$upper.ci)),
      duhachek_lower = tot$raw_alpha - 1.96 * tot$ase,
      duhachek_upper = tot$raw_alpha + 1.96 * tot$ase,
      n = nrow(x),                                # nsub: every row, used by Feldt and ase
      n_complete = sum(complete.cases(x)),
      n_any_item = sum(rowSums(!is.na(x)) > 0),
      k = a_def$nvar,                             # items kept (no-variance items deleted)
      k_input = ncol(x),
      check_keys_false_identical = as.numeric(same))
    write_tidy(data.frame(statistic = names(stats), value = unname(stats)),
               sprintf("alpha_%s.csv", name))
    drop <- a_def$alpha.drop
    is_ <- a_def$item.stats
    items_df <- data.frame(
      item = rownames(is_), n = is_$n, mean = is_$mean, sd = is_$sd,
      r_drop = is_$r.drop, raw_r = is_$raw.r, std_r = is_$std.r, r_cor = is_$r.cor,
      alpha_if_dropped = drop$raw_alpha, std_alpha_if_dropped = drop$std.alpha,
      average_r_if_dropped = drop$average_r, stringsAsFactors = FALSE)
    write_tidy(items_df, sprintf("item_stats_%s.csv", name))
  }
  ## omega total, one factor
  om_stats <- c()
  load_df <- NULL
  om <- capture(name, "psych::omega(x, nfactors = 1, plot = FALSE)",
                psych::omega(x, nfactors = 1, plot = FALSE))
  if (!is.null(om)) {
    sl <- om$schmid$sl
    om_stats <- c(om_stats, omega_tot_omega = om$omega.tot, omega_h_omega = om$omega_h,
                  omega_alpha_omega = om$alpha, omega_sum_R = sum(om$R),
                  omega_sum_u2 = sum(sl[, "u2"]))
    load_df <- data.frame(item = rownames(sl), omega_g = sl[, 1], omega_h2 = sl[, "h2"],
                          omega_u2 = sl[, "u2"], omega_key = om$key, stringsAsFactors = FALSE)
  }
  f <- capture(name, "psych::fa(x, nfactors = 1)", psych::fa(x, nfactors = 1))
  if (!is.null(f)) {
    lam <- as.numeric(f$loadings[, 1])
    h2 <- as.numeric(f$communality)            # = lam^2
    u2 <- as.numeric(f$uniquenesses)           # = 1 - lam^2
    om_fa <- sum(lam)^2 / (sum(lam)^2 + sum(1 - h2))
    om_stats <- c(om_stats, omega_tot_fa_loadings = om_fa, fa_sum_lambda = sum(lam),
                  fa_sum_u2 = sum(u2))
    fdf <- data.frame(item = rownames(f$loadings), fa_lambda = lam, fa_h2 = h2, fa_u2 = u2,
                      stringsAsFactors = FALSE)
    load_df <- if (is.null(load_df)) fdf else merge(load_df, fdf, by = "item", sort = FALSE)
  }
  if (length(om_stats)) {
    write_tidy(data.frame(statistic = names(om_stats), value = unname(om_stats)),
               sprintf("omega_%s.csv", name))
    write_tidy(load_df, sprintf("loadings_%s.csv", name))
    cat("  omega:\n"); print(signif(om_stats, 10))
  }
  invisible(a_def)
}

reliability("A", A[, A_items])
reliability("B", B[, B_items])
reliability("C", C[, B_items])
reliability("C_const", C_const[, c(B_items, "const_item")])
## omega cannot use a constant item (its correlations are NA): also on the items alpha keeps
reliability("C_const_kept", C_const[, B_items])
reliability("C_sparse", C_sparse[, c(B_items, "sparse_item")])
reliability("C_k2", C[, B_items[1:2]])
reliability("C_n2", C[1:2, B_items])
reliability("C_n1", C[1, B_items, drop = FALSE])

## ---------------------------------------------------------------------------------------------
## 5. ICC1 / ICC2 from the one-way ANOVA of the scale score (row mean of items, na.rm = TRUE)
## ---------------------------------------------------------------------------------------------
banner("5. multilevel::ICC1 / ICC2 on aov(score ~ as.factor(group)), score = rowMeans(items, na.rm=TRUE)")

icc <- function(name, score, group) {
  d <- data.frame(score = score, group = group)
  fit <- aov(score ~ as.factor(group), data = d)   # rows with NaN/NA score are dropped (na.omit)
  tab <- summary(fit)[[1]]
  print(tab)
  i1 <- multilevel::ICC1(fit); i2 <- multilevel::ICC2(fit)
  df_b <- tab[1, "Df"]; df_w <- tab[2, "Df"]
  stats <- c(icc1 = i1, icc2 = i2, ms_between = tab[1, "Mean Sq"], ms_within = tab[2, "Mean Sq"],
             df_between = df_b, df_within = df_w, n_obs = df_b + df_w + 1, n_groups = df_b + 1,
             mean_group_size = (df_w + df_b + 1) / (df_b + 1))
  cat(sprintf("  %s: ICC1 = %.10f  ICC2 = %.10f\n", name, i1, i2))
  write_tidy(data.frame(statistic = names(stats), value = unname(stats)), sprintf("icc_%s.csv", name))
}
icc("A", A$score, A$COMPID)
icc("B", B$score, B$team)
icc("C", C$score, C$team)

## ---------------------------------------------------------------------------------------------
## 6. agreement: rwg.j, rwg, awg, ad.m per group
## ---------------------------------------------------------------------------------------------
banner(sprintf("6. Agreement: rwg.j / rwg (ranvar = %g), awg (range = c(%g, %g)), ad.m", RANVAR,
               RANGE[1], RANGE[2]))
cat("  signatures in this version:\n")
for (fn in c("rwg.j", "rwg", "awg", "ad.m")) {
  cat("   ", fn, ": "); print(args(getExportedValue("multilevel", fn)))
}

agreement <- function(name, items, single, grpid) {
  cat(sprintf("\n--- agreement %s: %d rows, %d items, single item %s ---\n", name, nrow(items),
              ncol(items), single))
  g <- grpid
  rj <- capture(name, "multilevel::rwg.j(items, grpid, ranvar)", multilevel::rwg.j(items, g, ranvar = RANVAR))
  if (!is.null(rj)) write_tidy(rj, sprintf("rwg_j_%s.csv", name))
  r1 <- capture(name, "multilevel::rwg(item, grpid, ranvar)", multilevel::rwg(items[[single]], g, ranvar = RANVAR))
  if (!is.null(r1)) write_tidy(cbind(item = single, r1), sprintf("rwg_%s.csv", name))
  aw <- capture(name, "multilevel::awg(items, grpid, range)", multilevel::awg(items, g, range = RANGE))
  if (!is.null(aw)) write_tidy(aw, sprintf("awg_%s.csv", name))
  aw1 <- capture(name, "multilevel::awg(item, grpid, range)", multilevel::awg(items[[single]], g, range = RANGE))
  if (!is.null(aw1)) write_tidy(cbind(item = single, aw1), sprintf("awg_item_%s.csv", name))
  adm <- capture(name, "multilevel::ad.m(items, grpid, type='mean')", multilevel::ad.m(items, g, type = "mean"))
  admd <- capture(name, "multilevel::ad.m(items, grpid, type='median')", multilevel::ad.m(items, g, type = "median"))
  if (!is.null(adm)) {
    stopifnot(identical(adm$grpid, admd$grpid), identical(adm$gsize, admd$gsize))
    write_tidy(data.frame(grpid = adm$grpid, ad_mean = adm$AD.M, ad_median = admd$AD.M,
                          gsize = adm$gsize), sprintf("ad_%s.csv", name))
  }
  ad1 <- multilevel::ad.m(items[[single]], g, type = "mean")
  ad1md <- multilevel::ad.m(items[[single]], g, type = "median")
  write_tidy(data.frame(item = single, grpid = ad1$grpid, ad_mean = ad1$AD.M,
                        ad_median = ad1md$AD.M, gsize = ad1$gsize), sprintf("ad_item_%s.csv", name))
  summ <- merge(merge(rj, aw[, c("grpid", "a.wg")], by = "grpid"),
                data.frame(grpid = adm$grpid, ad_mean = adm$AD.M), by = "grpid")
  summ <- merge(summ, data.frame(grpid = r1$grpid, rwg_item = r1$rwg, gsize_item = r1$gsize),
                by = "grpid", all = TRUE)
  print(summ, digits = 6)
}

agreement("A", A[, A_items], "LEAD01", A$COMPID)
agreement("B", B[, B_items], "depth_beyond_status", B$team)
agreement("C", C[, B_items], "depth_beyond_status", C$team)
## a constant item (answer 3 for everybody), single-item functions only
cat("\n--- agreement C_const: single constant item const_item ---\n")
rc <- multilevel::rwg(C_const$const_item, C_const$team, ranvar = RANVAR)
write_tidy(cbind(item = "const_item", rc), "rwg_C_const.csv")
ac <- multilevel::awg(C_const$const_item, C_const$team, range = RANGE)
write_tidy(cbind(item = "const_item", ac), "awg_item_C_const.csv")
adc <- multilevel::ad.m(C_const$const_item, C_const$team, type = "mean")
adcm <- multilevel::ad.m(C_const$const_item, C_const$team, type = "median")
write_tidy(data.frame(item = "const_item", grpid = adc$grpid, ad_mean = adc$AD.M,
                      ad_median = adcm$AD.M, gsize = adc$gsize), "ad_item_C_const.csv")
print(head(merge(rc, ac[, c("grpid", "a.wg")], by = "grpid"), 8))

## ---------------------------------------------------------------------------------------------
## 7. a few facts the README states, checked here
## ---------------------------------------------------------------------------------------------
banner("7. Checks: the README's formulas recomputed in base R on data set C, against the CSVs")
rd <- function(f) read.csv(file.path(out_dir, f), stringsAsFactors = FALSE,
                           colClasses = c(grpid = "character"))
stat <- function(f) { d <- read.csv(file.path(out_dir, f), stringsAsFactors = FALSE)
                      setNames(d$value, d$statistic) }
chk <- function(label, a, b) {
  a <- as.numeric(a); b <- as.numeric(b)
  same_na <- identical(is.na(a), is.na(b))
  cat(sprintf("  %-55s max |diff| = %.3g%s\n", label, max(c(0, abs(a - b)), na.rm = TRUE),
              if (same_na) "" else "  (NA pattern differs!)"))
}
x <- C[, B_items]
k <- ncol(x); n <- nrow(x)
Cp <- cov(x, use = "pairwise")                    # pairwise covariances (n_ij - 1 denominators)
Rp <- cov2cor(Cp)                                 # C_ij / sqrt(C_ii C_jj), C_ii from all answers
cat("  cov2cor(pairwise cov) vs cor(use = 'pairwise') on C: max |diff| =",
    format(max(abs(Rp - cor(x, use = "pairwise"))), digits = 6), "(they differ)\n")
st <- stat("alpha_C.csv")
alpha_f <- function(S) { m <- ncol(S); (1 - sum(diag(S)) / sum(S)) * m / (m - 1) }
raw_alpha <- alpha_f(Cp)
chk("raw_alpha = (1 - tr(C)/sum(C)) k/(k-1)", raw_alpha, st["raw_alpha"])
chk("std_alpha = (1 - k/sum(R)) k/(k-1)", (1 - k / sum(Rp)) * k / (k - 1), st["std_alpha"])
chk("average_r = (sum(R) - k)/(k(k-1))", (sum(Rp) - k) / (k * (k - 1)), st["average_r"])
chk("Feldt lower = 1 - (1-a) qf(.975, n-1, (n-1)(k-1))",
    1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)), st["feldt_lower"])
chk("Feldt upper = 1 - (1-a) qf(.025, n-1, (n-1)(k-1))",
    1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)), st["feldt_upper"])
sC <- sum(Cp); tC <- sum(diag(Cp)); C2 <- Cp %*% Cp
Q <- (2 * k^2 / ((k - 1)^2 * sC^3)) * (sC * (sum(diag(C2)) + tC^2) - 2 * tC * sum(C2))
chk("Duhachek: a -/+ 1.96 sqrt(Q/n)", raw_alpha + c(-1, 1) * 1.96 * sqrt(Q / n),
    st[c("duhachek_lower", "duhachek_upper")])
its <- read.csv(file.path(out_dir, "item_stats_C.csv"))
rdrop <- sapply(1:k, function(i) (sum(Cp[, i]) - Cp[i, i]) / sqrt(Cp[i, i] * sum(Cp[-i, -i])))
chk("r_drop = (sum C[,i] - C_ii)/sqrt(C_ii sum C[-i,-i])", rdrop, its$r_drop)
chk("alpha_if_dropped = raw alpha of C[-i,-i]", sapply(1:k, function(i) alpha_f(Cp[-i, -i])),
    its$alpha_if_dropped)
chk("item mean / sd / n (available answers)", c(colMeans(x, na.rm = TRUE), apply(x, 2, sd, na.rm = TRUE),
    colSums(!is.na(x))), c(its$mean, its$sd, its$n))
## omega from the fa loadings
om <- stat("omega_C.csv"); ld <- read.csv(file.path(out_dir, "loadings_C.csv"))
chk("omega (fa): (sum l)^2/((sum l)^2 + sum(1 - l^2))",
    sum(ld$fa_lambda)^2 / (sum(ld$fa_lambda)^2 + sum(1 - ld$fa_lambda^2)), om["omega_tot_fa_loadings"])
Rc <- cor(x, use = "pairwise")
chk("omega.tot (omega): (sum(R) - sum(u2))/sum(R), R = cor pairwise",
    (sum(Rc) - sum(ld$omega_u2)) / sum(Rc), om["omega_tot_omega"])
## ICC from group means
d <- C[!is.na(C$score), c("score", "team")]
N <- nrow(d); grp <- split(d$score, d$team); G <- length(grp); nj <- lengths(grp)
gm <- sapply(grp, mean); ybar <- mean(d$score)
MSB <- sum(nj * (gm - ybar)^2) / (G - 1)
MSW <- sum(sapply(grp, function(v) sum((v - mean(v))^2))) / (N - G)
ic <- stat("icc_C.csv")
chk("ICC1 = (MSB - MSW)/(MSB + (N/G - 1) MSW)", (MSB - MSW) / (MSB + (N / G - 1) * MSW), ic["icc1"])
chk("ICC2 = (MSB - MSW)/MSB", (MSB - MSW) / MSB, ic["icc2"])
## agreement, listwise within the item block, groups as split() sorts them
cc <- C[complete.cases(C[, B_items]) & !is.na(C$team), ]
blocks <- split(cc[, B_items], cc$team)
rj <- rd("rwg_j_C.csv")
rwgj <- sapply(blocks, function(Q) {
  if (nrow(Q) < 2) return(NA)
  S <- min(mean(apply(Q, 2, var)), RANVAR)
  J <- ncol(Q); J * (1 - S / RANVAR) / (J * (1 - S / RANVAR) + S / RANVAR) })
chk("rwg.j = J(1 - S/s2)/(J(1 - S/s2) + S/s2), S capped at s2", rwgj[rj$grpid], rj$rwg.j)
awg1 <- function(v, L = RANGE[1], H = RANGE[2]) {
  M <- mean(v); kk <- length(v)
  if (M == H || M == L) return(1)
  if (M < (L * (kk - 1) + H) / kk || M > (H * (kk - 1) + L) / kk) return(NA)
  1 - 2 * var(v) / (((H + L) * M - M^2 - H * L) * kk / (kk - 1)) }
aw <- rd("awg_C.csv")
awgj <- sapply(blocks, function(Q) if (nrow(Q) < 2) NA else mean(sapply(Q, awg1), na.rm = TRUE))
chk("awg (items) = mean over items of the item a_wg", awgj[aw$grpid], aw$a.wg)
chk("awg avg.grp.var = mean of the whole within-group cov matrix",
    sapply(blocks, function(Q) mean(var(Q)))[aw$grpid], aw$avg.grp.var)
ad <- rd("ad_C.csv")
adj <- sapply(blocks, function(Q) if (nrow(Q) < 2) NA else mean(sapply(Q, function(v) mean(abs(v - mean(v))))))
admed <- sapply(blocks, function(Q) if (nrow(Q) < 2) NA else mean(sapply(Q, function(v) mean(abs(v - median(v))))))
chk("ad (mean) = mean over items of mean |x - mean|", adj[ad$grpid], ad$ad_mean)
chk("ad (median) = mean over items of mean |x - median|", admed[ad$grpid], ad$ad_median)
r1 <- rd("rwg_C.csv")
one <- C[!is.na(C$depth_beyond_status), ]
sg <- split(one$depth_beyond_status, one$team)
chk("rwg (single item) = 1 - min(var, s2)/s2",
    sapply(sg, function(v) if (length(v) < 2) NA else 1 - min(var(v), RANVAR) / RANVAR)[r1$grpid], r1$rwg)

## ---------------------------------------------------------------------------------------------
## 8. outcomes (warnings and errors) and session info
## ---------------------------------------------------------------------------------------------
banner("8. Outcomes (warnings / errors) of every captured call")
write_tidy(outcomes, "outcomes.csv")
print(outcomes[outcomes$outcome != "ok", ], right = FALSE)

banner("sessionInfo()")
cat("psych", as.character(packageVersion("psych")), "| multilevel",
    as.character(packageVersion("multilevel")), "| GPArotation",
    as.character(packageVersion("GPArotation")), "\n")
print(sessionInfo())
