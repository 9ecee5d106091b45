## reference.R -- external reference values (from R) for the toolkit's cadence comparisons
##
## Run from this folder, after make_data.py has written the input CSVs:
##   .venv/bin/python tests/reference/cadence/make_data.py          # from the repo root
##   cd tests/reference/cadence && Rscript reference.R > reference_output.txt 2>&1
##
## Needs R with the Debian packages r-cran-lme4, r-cran-lmertest (with r-cran-pbkrtest),
## r-cran-ordinal, r-cran-sandwich, r-cran-lmtest, r-cran-clubsandwich (MASS ships with R).
## Nothing is installed from CRAN. r-cran-fixest and r-cran-did do not exist in Debian 12, so the
## heterogeneity-robust difference-in-differences estimators of section (g) are computed by hand
## here (formulas in README.md and next to the code).
##
## Sections (README.md documents every output column and formula):
##   (a) lme4::lmer random-intercept models (REML), person-level cadence and team modal cadence,
##       adjusted and unadjusted; both optimizers; lmerTest Satterthwaite / Kenward-Roger df
##   (b) OLS with cluster-robust (by team) sandwich errors: sandwich::vcovCL HC0 / HC1,
##       clubSandwich CR2, lmtest::coeftest
##   (c) team-level aggregate comparison (team means, lm, plain SEs)
##   (d) ordinal::clm cumulative logit for the single items, model-based and cluster-robust SEs
##   (e) omnibus Wald tests of all cadence coefficients (inside (a), (b), (c), (d))
##   (f) moderation models (lmer with interactions)
##   (g) panel D3: two-way fixed effects, Callaway-Sant'Anna-style group-time ATTs with an
##       event-study table and a pre-trend test, and de Chaisemartin-D'Haultfoeuille DID_M, with
##       switcher-level influence-function SEs (also on a sparse subset of D3's teams)
##   (h) power: minimum detectable effect grid
##   (i) timing lme4 on the big data set D4 (about 200,000 respondents in 25,000 teams)
##
## Output: tidy CSV files in this folder, numbers written with sprintf("%.15g") (15 significant
## digits; "NA" = R's NA, "NaN" = R's NaN), and a readable log on stdout (reference_output.txt).

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest, exclude = "lmer")   # keep lme4::lmer as `lmer`; lmerTest only for df
  library(ordinal)
  library(MASS)
  library(sandwich)
  library(lmtest)
  library(clubSandwich)
})

options(width = 140, warn = 1, digits = 10)
t_start <- proc.time()

CADENCE <- c("weekly", "biweekly", "monthly", "less_than_monthly", "none")
OUTCOMES <- c("depth", "holding_back", "reliability", "engagement")
## 1:1s per month for the numeric cadence of the moderation model (f)
CADENCE_NUM <- c(weekly = 4.33, biweekly = 2.17, monthly = 1, less_than_monthly = 0.5, none = 0)

## ------------------------------------------------------------------------------------------
## helpers
## ------------------------------------------------------------------------------------------

fmt <- function(x) {
  out <- sprintf("%.15g", x)
  out[is.na(x)] <- "NA"
  out[is.nan(x)] <- "NaN"
  out
}

## write a data frame: numeric columns as %.15g, character columns quoted
write_tidy <- function(df, file) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  is_num <- vapply(df, function(c) is.numeric(c) || is.logical(c), logical(1))
  for (j in which(is_num)) df[[j]] <- fmt(as.numeric(df[[j]]))
  chr <- which(!is_num)
  write.table(df, file, sep = ",", row.names = FALSE, col.names = TRUE,
              quote = if (length(chr)) chr else FALSE, na = "NA", qmethod = "double")
  cat(sprintf("  wrote %-34s %6d rows\n", file, nrow(df)))
}

banner <- function(x) cat("\n", strrep("=", 100), "\n", x, "\n", strrep("=", 100), "\n", sep = "")

## R's coefficient names -> tidy names:  relevel(factor(cadence), "monthly")weekly -> cadence[weekly]
tidy_term <- function(x) {
  x <- gsub('relevel\\(factor\\((cadence|team_modal)\\), "monthly"\\)([A-Za-z_]+)', "cadence[\\2]", x)
  x <- gsub("factor\\(division\\)([A-Za-z0-9_]+)", "division[\\1]", x)
  x <- gsub("factor\\(wave\\)([A-Za-z0-9_]+)", "wave[\\1]", x)
  x <- gsub("factor\\(team\\)([A-Za-z0-9_]+)", "team[\\1]", x)
  x <- gsub("treatedTRUE", "treated", x)
  x
}

cad_term <- function(level) sprintf("cadence[%s]", level)

## pairwise contrasts a - b (a before b in CADENCE order) of cadence levels from a coefficient
## vector and its covariance matrix (names already tidy; monthly is the reference level = 0).
## Missing levels (no observations -> coefficient absent or NA) give NA.
pairwise <- function(b, V) {
  rows <- list()
  for (i in 1:4) for (j in (i + 1):5) {
    a <- CADENCE[i]; z <- CADENCE[j]
    L <- setNames(rep(0, length(b)), names(b))
    ok <- TRUE
    for (lv in c(a, z)) {
      if (lv == "monthly") next
      nm <- cad_term(lv)
      if (!(nm %in% names(b)) || is.na(b[nm])) ok <- FALSE
    }
    if (ok) {
      if (a != "monthly") L[cad_term(a)] <- 1
      if (z != "monthly") L[cad_term(z)] <- L[cad_term(z)] - 1
      keep <- !is.na(b)
      est <- sum(L[keep] * b[keep])
      se <- sqrt(drop(t(L[keep]) %*% V[names(b)[keep], names(b)[keep]] %*% L[keep]))
    } else {
      est <- NA_real_; se <- NA_real_
    }
    rows[[length(rows) + 1]] <- data.frame(level_a = a, level_b = z, estimate = est, se = se,
                                           stringsAsFactors = FALSE)
  }
  do.call(rbind, rows)
}

## Wald chi-square of H0: b[idx] = 0 with covariance V
wald <- function(b, V, idx) {
  idx <- idx[idx %in% names(b) & !is.na(b[idx])]
  bb <- b[idx]; VV <- V[idx, idx, drop = FALSE]
  chi2 <- drop(t(bb) %*% solve(VV, bb))
  list(chi2 = chi2, df = length(idx), p = pchisq(chi2, length(idx), lower.tail = FALSE))
}

capture <- function(expr) {
  warns <- character(0); msgs <- character(0)
  val <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = val, warnings = warns, messages = msgs)
}

read_persons <- function(file) {
  d <- read.csv(file, stringsAsFactors = FALSE, colClasses = c(respondent = "character",
                wave = "character", team = "character", division = "character",
                cadence = "character", policy = "character", team_modal = "character"))
  stopifnot(all(d$cadence %in% CADENCE), all(d$team_modal %in% CADENCE))
  d
}

D <- list(D1 = read_persons("D1_persons.csv"), D2 = read_persons("D2_persons.csv"))

banner("Input data")
for (nm in names(D)) {
  d <- D[[nm]]
  cat(sprintf("%s: %d respondents, %d teams, %d divisions\n", nm, nrow(d), length(unique(d$team)),
              length(unique(d$division))))
  print(table(cadence = factor(d$cadence, CADENCE)))
  tm <- d[!duplicated(d$team), ]
  print(table(team_modal_teams = factor(tm$team_modal, CADENCE)))
  cat("missing outcome scores:", paste(sprintf("%s=%d", OUTCOMES, colSums(is.na(d[OUTCOMES]))), collapse = ", "), "\n")
}

## ------------------------------------------------------------------------------------------
## (a) + (e) lme4 random-intercept models
## ------------------------------------------------------------------------------------------
banner("(a) lme4::lmer, REML, random team intercept")

formula_for <- function(y, cadvar, spec) {
  cad <- sprintf('relevel(factor(%s), "monthly")', cadvar)
  rhs <- if (spec == "adjusted") paste(cad, "+ log_size + factor(division)") else cad
  as.formula(sprintf("%s ~ %s + (1 | team)", y, rhs))
}

control_for <- function(opt) {
  switch(opt,
    bobyqa = lmerControl(optimizer = "bobyqa"),
    default = lmerControl(),           # lme4 1.1-31: optimizer "nloptwrap" (NLOPT_LN_BOBYQA)
    tight = lmerControl(optimizer = "nloptwrap",
                        optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                       ftol_rel = 1e-14, maxeval = 100000)))
}

## fits one lmer model and returns tidy pieces
fit_lmer <- function(form, data, opt, ddf = TRUE, kr = FALSE) {
  env <- environment()
  cap <- capture(lmer(form, data = data, REML = TRUE, control = control_for(opt)))
  fit <- cap$value
  cf <- summary(fit)$coefficients
  b <- fixef(fit); V <- as.matrix(vcov(fit))
  names(b) <- tidy_term(names(b)); dimnames(V) <- list(names(b), names(b))
  fe <- data.frame(term = names(b), term_r = rownames(cf), estimate = cf[, "Estimate"],
                   se = cf[, "Std. Error"], t_value = cf[, "t value"],
                   p_wald_z = 2 * pnorm(-abs(cf[, "t value"])), stringsAsFactors = FALSE)
  mt <- NULL
  if (ddf) {
    mt <- lmerTest::as_lmerModLmerTest(fit)
    s <- summary(mt, ddf = "Satterthwaite")$coefficients
    fe$df_satterthwaite <- s[, "df"]; fe$p_satterthwaite <- s[, "Pr(>|t|)"]
    if (kr) {
      k <- summary(mt, ddf = "Kenward-Roger")$coefficients
      fe$se_kr <- k[, "Std. Error"]; fe$df_kr <- k[, "df"]; fe$p_kr <- k[, "Pr(>|t|)"]
    } else {
      fe$se_kr <- NA_real_; fe$df_kr <- NA_real_; fe$p_kr <- NA_real_
    }
  }
  vc <- as.data.frame(VarCorr(fit))
  tau2 <- vc$vcov[vc$grp == "team"]; sig2 <- vc$vcov[vc$grp == "Residual"]
  oi <- fit@optinfo
  info <- data.frame(
    n_obs = nobs(fit), n_teams = unname(ngrps(fit)["team"]), n_fixef = length(b),
    reml_crit = REMLcrit(fit), loglik = as.numeric(logLik(fit)), loglik_df = attr(logLik(fit), "df"),
    aic = AIC(fit), theta = unname(getME(fit, "theta")),
    tau2 = tau2, tau = sqrt(tau2), sigma2 = sig2, sigma = sqrt(sig2), icc = tau2 / (tau2 + sig2),
    optimizer_used = oi$optimizer, conv_code = oi$conv$opt,
    optimizer_message = if (is.null(oi$message)) "" else paste(oi$message, collapse = " | "),
    lme4_conv_messages = paste(c(unlist(oi$conv$lme4$messages)), collapse = " | "),
    warnings = paste(unique(c(unlist(oi$warnings), cap$warnings)), collapse = " | "),
    messages = paste(unique(cap$messages), collapse = " | "),
    singular = isSingular(fit), feval = if (is.null(oi$feval)) NA else oi$feval,
    stringsAsFactors = FALSE)
  list(fit = fit, mt = mt, b = b, V = V, fe = fe, info = info)
}

lmer_fe <- list(); lmer_ct <- list(); lmer_fit <- list(); lmer_vcov <- list(); lmer_omni <- list()
lmer_store <- list()
for (ds in names(D)) for (y in OUTCOMES) for (cadvar in c("cadence", "team_modal"))
  for (spec in c("adjusted", "unadjusted")) for (opt in c("bobyqa", "default")) {
    key <- data.frame(dataset = ds, outcome = y, cadence_var = cadvar, spec = spec, optimizer = opt,
                      stringsAsFactors = FALSE)
    r <- fit_lmer(formula_for(y, cadvar, spec), D[[ds]], opt, ddf = TRUE, kr = (opt == "bobyqa"))
    lmer_store[[paste(ds, y, cadvar, spec, opt)]] <- r
    lmer_fe[[length(lmer_fe) + 1]] <- cbind(key, r$fe)
    lmer_fit[[length(lmer_fit) + 1]] <- cbind(key, r$info)
    ## contrasts: Wald z from vcov; Satterthwaite df from lmerTest::contest1D
    pw <- pairwise(r$b, r$V)
    pw$z <- pw$estimate / pw$se
    pw$p_wald_z <- 2 * pnorm(-abs(pw$z))
    pw$df_satterthwaite <- NA_real_; pw$p_satterthwaite <- NA_real_
    for (i in seq_len(nrow(pw))) if (!is.na(pw$estimate[i])) {
      L <- setNames(rep(0, length(r$b)), names(r$b))
      if (pw$level_a[i] != "monthly") L[cad_term(pw$level_a[i])] <- 1
      if (pw$level_b[i] != "monthly") L[cad_term(pw$level_b[i])] <- -1
      ct <- lmerTest::contest1D(r$mt, unname(L), ddf = "Satterthwaite")
      stopifnot(abs(ct$Estimate - pw$estimate[i]) < 1e-10, abs(ct[["Std. Error"]] - pw$se[i]) < 1e-10)
      pw$df_satterthwaite[i] <- ct$df; pw$p_satterthwaite[i] <- ct[["Pr(>|t|)"]]
    }
    lmer_ct[[length(lmer_ct) + 1]] <- cbind(key, pw)
    ## omnibus: all cadence coefficients = 0
    idx <- cad_term(setdiff(CADENCE, "monthly"))
    w <- wald(r$b, r$V, idx)
    L <- matrix(0, length(idx), length(r$b)); for (i in seq_along(idx)) L[i, match(idx[i], names(r$b))] <- 1
    Fs <- lmerTest::contest(r$mt, L, joint = TRUE, ddf = "Satterthwaite")
    lmer_omni[[length(lmer_omni) + 1]] <- cbind(key, data.frame(
      chi2 = w$chi2, df = w$df, p_chi2 = w$p, F_satterthwaite = Fs[["F value"]], num_df = Fs$NumDF,
      den_df_satterthwaite = Fs$DenDF, p_F_satterthwaite = Fs[["Pr(>F)"]],
      chi2_over_df_minus_F = w$chi2 / w$df - Fs[["F value"]]))
    if (opt == "bobyqa" && spec == "adjusted") {
      vv <- as.data.frame(as.table(r$V), stringsAsFactors = FALSE)
      names(vv) <- c("term1", "term2", "vcov")
      lmer_vcov[[length(lmer_vcov) + 1]] <- cbind(key, vv)
    }
  }
lmer_fe <- do.call(rbind, lmer_fe); lmer_ct <- do.call(rbind, lmer_ct); lmer_fit <- do.call(rbind, lmer_fit)
lmer_vcov <- do.call(rbind, lmer_vcov); lmer_omni <- do.call(rbind, lmer_omni)

## a tight fit of every adjusted model (nloptwrap with tolerances 1e-12..1e-14): how far the
## two default optimizers are from the optimum
lmer_tight <- list()
for (ds in names(D)) for (y in OUTCOMES) for (cadvar in c("cadence", "team_modal")) {
  r <- fit_lmer(formula_for(y, cadvar, "adjusted"), D[[ds]], "tight", ddf = FALSE)
  lmer_tight[[length(lmer_tight) + 1]] <- cbind(data.frame(dataset = ds, outcome = y, cadence_var = cadvar,
    spec = "adjusted", optimizer = "tight", stringsAsFactors = FALSE), r$fe[, c("term", "estimate", "se")],
    reml_crit = r$info$reml_crit, theta = r$info$theta, sigma = r$info$sigma)
}
lmer_tight <- do.call(rbind, lmer_tight)

## optimizer comparison: bobyqa vs default (nloptwrap) vs tight
cmp <- list()
for (ds in names(D)) for (y in OUTCOMES) for (cadvar in c("cadence", "team_modal")) for (spec in c("adjusted", "unadjusted")) {
  a <- lmer_store[[paste(ds, y, cadvar, spec, "bobyqa")]]; b <- lmer_store[[paste(ds, y, cadvar, spec, "default")]]
  row <- data.frame(dataset = ds, outcome = y, cadence_var = cadvar, spec = spec,
    max_abs_diff_estimate = max(abs(a$fe$estimate - b$fe$estimate)),
    max_abs_diff_se = max(abs(a$fe$se - b$fe$se)),
    max_rel_diff_se = max(abs(a$fe$se - b$fe$se) / a$fe$se),
    diff_theta = a$info$theta - b$info$theta, diff_reml_crit = a$info$reml_crit - b$info$reml_crit,
    stringsAsFactors = FALSE)
  if (spec == "adjusted") {
    tt <- lmer_tight[lmer_tight$dataset == ds & lmer_tight$outcome == y & lmer_tight$cadence_var == cadvar, ]
    row$max_abs_diff_estimate_bobyqa_vs_tight <- max(abs(a$fe$estimate - tt$estimate))
    row$max_rel_diff_se_bobyqa_vs_tight <- max(abs(a$fe$se - tt$se) / tt$se)
    row$max_abs_diff_estimate_default_vs_tight <- max(abs(b$fe$estimate - tt$estimate))
    row$max_rel_diff_se_default_vs_tight <- max(abs(b$fe$se - tt$se) / tt$se)
    row$diff_reml_crit_bobyqa_minus_tight <- a$info$reml_crit - tt$reml_crit[1]
    row$diff_reml_crit_default_minus_tight <- b$info$reml_crit - tt$reml_crit[1]
  } else {
    row$max_abs_diff_estimate_bobyqa_vs_tight <- NA; row$max_rel_diff_se_bobyqa_vs_tight <- NA
    row$max_abs_diff_estimate_default_vs_tight <- NA; row$max_rel_diff_se_default_vs_tight <- NA
    row$diff_reml_crit_bobyqa_minus_tight <- NA; row$diff_reml_crit_default_minus_tight <- NA
  }
  cmp[[length(cmp) + 1]] <- row
}
cmp <- do.call(rbind, cmp)

## REML criterion recomputed from its definition (Bates et al. 2015, eq. 41-42, profiled):
##   d_R(theta) = log|L_theta|^2 + log|R_X|^2 + (n - p) * (1 + log(2*pi*r2 / (n - p)))
## with r2 = the penalized residual sum of squares at the optimum. Checked for every D1 model.
reml_check <- c()
for (k in names(lmer_store)) {
  f <- lmer_store[[k]]$fit
  n <- nobs(f); p <- length(fixef(f))
  ldL2 <- getME(f, "devcomp")$cmp[["ldL2"]]; ldRX2 <- getME(f, "devcomp")$cmp[["ldRX2"]]
  pwrss <- getME(f, "devcomp")$cmp[["pwrss"]]
  dR <- ldL2 + ldRX2 + (n - p) * (1 + log(2 * pi * pwrss / (n - p)))
  reml_check <- c(reml_check, dR - REMLcrit(f))
}
cat("REML criterion recomputed from log|L|^2 + log|RX|^2 + (n-p)(1+log(2 pi pwrss/(n-p))): max |diff| =",
    max(abs(reml_check)), "\n")

cat("\nWhat lme4 reports for p-values: summary(lmer fit) prints no p-values (no 'Pr(>|t|)' column).\n")
print(colnames(summary(lmer_store[["D1 depth cadence adjusted bobyqa"]]$fit)$coefficients))

show_model <- function(k) {
  r <- lmer_store[[k]]
  cat("\n---", k, "---\n")
  print(summary(r$fit), correlation = FALSE)
}
show_model("D1 depth cadence adjusted bobyqa")
show_model("D1 depth cadence adjusted default")
cat("\nlmerTest (Satterthwaite) summary of the same fit:\n")
print(summary(lmer_store[["D1 depth cadence adjusted bobyqa"]]$mt)$coefficients[1:6, ])

cat("\nWeekly - monthly contrasts (adjusted models, bobyqa):\n")
print(subset(lmer_ct, spec == "adjusted" & optimizer == "bobyqa" & level_a == "weekly" & level_b == "monthly"),
      row.names = FALSE)
cat("\nVariance components and fit (bobyqa):\n")
print(subset(lmer_fit, optimizer == "bobyqa")[, c("dataset", "outcome", "cadence_var", "spec", "n_obs", "n_teams",
      "reml_crit", "loglik", "tau2", "sigma2", "icc", "singular", "lme4_conv_messages")], row.names = FALSE)
cat("\nOptimizer comparison (bobyqa vs default nloptwrap vs tight nloptwrap; full table in lmer_optimizer_comparison.csv):\n")
print(cmp[, c("dataset", "outcome", "cadence_var", "spec", "max_abs_diff_estimate", "max_rel_diff_se", "diff_reml_crit",
              "max_abs_diff_estimate_bobyqa_vs_tight", "max_rel_diff_se_bobyqa_vs_tight")], row.names = FALSE)
cat("largest differences over all models: estimate", max(cmp$max_abs_diff_estimate), "; relative SE", max(cmp$max_rel_diff_se),
    "; bobyqa vs tight estimate", max(cmp$max_abs_diff_estimate_bobyqa_vs_tight, na.rm = TRUE),
    "; default vs tight estimate", max(cmp$max_abs_diff_estimate_default_vs_tight, na.rm = TRUE), "\n")
cat("\nOmnibus tests (all cadence coefficients = 0):\n")
print(subset(lmer_omni, optimizer == "bobyqa"), row.names = FALSE)
cat("\nAll warnings / messages of the lmer fits:\n")
print(unique(lmer_fit[, c("dataset", "outcome", "cadence_var", "spec", "optimizer", "warnings", "messages",
                          "lme4_conv_messages")][lmer_fit$warnings != "" | lmer_fit$messages != "" |
                                                 lmer_fit$lme4_conv_messages != "", ]), row.names = FALSE)

write_tidy(lmer_fe, "lmer_fixef.csv")
write_tidy(lmer_ct, "lmer_contrasts.csv")
write_tidy(lmer_fit, "lmer_fit.csv")
write_tidy(lmer_vcov, "lmer_vcov.csv")
write_tidy(lmer_omni, "lmer_omnibus.csv")
write_tidy(lmer_tight, "lmer_tight.csv")
write_tidy(cmp, "lmer_optimizer_comparison.csv")

## multiplicity: p_adj over the 4 outcomes for each contrast (family = the 4 outcomes of one
## dataset x cadence_var x spec x optimizer x contrast), Holm and Benjamini-Hochberg, from both
## the Wald z p-values and the Satterthwaite p-values
padj <- lmer_ct
padj$family <- paste(padj$dataset, padj$cadence_var, padj$spec, padj$optimizer, padj$level_a, padj$level_b)
padj$p_adj_holm_wald_z <- NA_real_; padj$p_adj_bh_wald_z <- NA_real_
padj$p_adj_holm_satterthwaite <- NA_real_; padj$p_adj_bh_satterthwaite <- NA_real_
for (fam in unique(padj$family)) {
  i <- which(padj$family == fam)
  padj$p_adj_holm_wald_z[i] <- p.adjust(padj$p_wald_z[i], "holm")
  padj$p_adj_bh_wald_z[i] <- p.adjust(padj$p_wald_z[i], "BH")
  padj$p_adj_holm_satterthwaite[i] <- p.adjust(padj$p_satterthwaite[i], "holm")
  padj$p_adj_bh_satterthwaite[i] <- p.adjust(padj$p_satterthwaite[i], "BH")
}
padj <- padj[, c("dataset", "cadence_var", "spec", "optimizer", "level_a", "level_b", "outcome",
                 "estimate", "se", "p_wald_z", "p_adj_holm_wald_z", "p_adj_bh_wald_z",
                 "p_satterthwaite", "p_adj_holm_satterthwaite", "p_adj_bh_satterthwaite")]
write_tidy(padj, "lmer_p_adjust.csv")
cat("\nHolm / BH over the 4 outcomes, D1 weekly - monthly, adjusted, bobyqa:\n")
print(subset(padj, dataset == "D1" & spec == "adjusted" & optimizer == "bobyqa" & level_a == "weekly" &
             level_b == "monthly"), row.names = FALSE)

## ------------------------------------------------------------------------------------------
## (b) + (e) OLS with cluster-robust errors by team
## ------------------------------------------------------------------------------------------
banner("(b) OLS, cluster-robust (sandwich::vcovCL by team)")

ols_coef <- list(); ols_ct <- list(); ols_fit <- list(); ols_omni <- list()
max_hand_diff <- 0
for (ds in names(D)) for (y in OUTCOMES) for (cadvar in c("cadence", "team_modal")) {
  d <- D[[ds]]
  d <- d[!is.na(d[[y]]), ]                  # complete cases (lm would drop them anyway)
  form <- as.formula(sprintf('%s ~ relevel(factor(%s), "monthly") + log_size + factor(division)', y, cadvar))
  fit <- lm(form, data = d)
  N <- nobs(fit); K <- length(coef(fit)); G <- length(unique(d$team))
  V0 <- vcovCL(fit, cluster = ~team, type = "HC0")                 # cadjust = TRUE: G/(G-1)
  V1 <- vcovCL(fit, cluster = ~team, type = "HC1")                 # G/(G-1) * (N-1)/(N-K)
  V0n <- vcovCL(fit, cluster = ~team, type = "HC0", cadjust = FALSE) # no factor at all
  Vi <- vcov(fit)
  ## by hand: (X'X)^-1 [sum_g (X_g' e_g)(X_g' e_g)'] (X'X)^-1, times the factors
  X <- model.matrix(fit); e <- residuals(fit)
  XtXi <- solve(crossprod(X))
  S <- rowsum(X * e, d$team)
  Vhand0 <- XtXi %*% crossprod(S) %*% XtXi
  max_hand_diff <- max(max_hand_diff, max(abs(Vhand0 - V0n)), max(abs(G / (G - 1) * Vhand0 - V0)),
                       max(abs(G / (G - 1) * (N - 1) / (N - K) * Vhand0 - V1)))
  ## CR2 (Bell-McCaffrey) with Satterthwaite df, clubSandwich
  Vcr2 <- vcovCR(fit, cluster = d$team, type = "CR2")
  cr2 <- coef_test(fit, vcov = Vcr2, test = "Satterthwaite")
  ct1 <- coeftest(fit, vcov. = V1)                                  # t on N-K df
  ct0 <- coeftest(fit, vcov. = V0)
  b <- coef(fit)
  tb <- tidy_term(names(b))
  key <- data.frame(dataset = ds, outcome = y, cadence_var = cadvar, stringsAsFactors = FALSE)
  ols_coef[[length(ols_coef) + 1]] <- cbind(key, data.frame(
    term = tb, term_r = names(b), estimate = b, se_iid = sqrt(diag(Vi)),
    se_cl_hc0 = sqrt(diag(V0)), se_cl_hc1 = sqrt(diag(V1)), se_cl_hc0_noadj = sqrt(diag(V0n)),
    se_cr2 = sqrt(diag(as.matrix(Vcr2))), df_cr2_satterthwaite = cr2$df_Satt, p_cr2_satterthwaite = cr2$p_Satt,
    t_hc1 = ct1[, "t value"], p_hc1_t_resid_df = ct1[, "Pr(>|t|)"], p_hc1_z = 2 * pnorm(-abs(ct1[, "t value"])),
    p_hc1_t_G_minus_1 = 2 * pt(-abs(ct1[, "t value"]), G - 1),
    t_hc0 = ct0[, "t value"], p_hc0_t_resid_df = ct0[, "Pr(>|t|)"], p_hc0_z = 2 * pnorm(-abs(ct0[, "t value"])),
    stringsAsFactors = FALSE))
  ols_fit[[length(ols_fit) + 1]] <- cbind(key, data.frame(n_obs = N, n_teams = G, k = K, resid_df = fit$df.residual,
    cluster_factor_G = G / (G - 1), hc1_factor_N = (N - 1) / (N - K),
    hc1_total_factor = G / (G - 1) * (N - 1) / (N - K), sigma = summary(fit)$sigma,
    r_squared = summary(fit)$r.squared, rss = sum(e^2)))
  names(b) <- tb
  for (vt in c("hc0", "hc1", "iid")) {
    V <- switch(vt, hc0 = V0, hc1 = V1, iid = Vi); dimnames(V) <- list(tb, tb)
    pw <- pairwise(b, V)
    pw$z <- pw$estimate / pw$se
    pw$p_z <- 2 * pnorm(-abs(pw$z))
    pw$p_t_resid_df <- 2 * pt(-abs(pw$z), fit$df.residual)
    pw$p_t_G_minus_1 <- 2 * pt(-abs(pw$z), G - 1)
    ols_ct[[length(ols_ct) + 1]] <- cbind(key, vcov_type = vt, pw)
    idx <- cad_term(setdiff(CADENCE, "monthly"))
    w <- wald(b, V, idx)
    ## lmtest::waldtest: F = chi2/q on (q, N-K) df, and its Chisq version
    rr <- as.formula(sprintf("%s ~ log_size + factor(division)", y))
    fit0 <- lm(rr, data = d)
    vfun <- switch(vt, hc0 = function(x) vcovCL(x, cluster = ~team, type = "HC0"),
                   hc1 = function(x) vcovCL(x, cluster = ~team, type = "HC1"), iid = vcov)
    wF <- waldtest(fit, fit0, vcov = vfun, test = "F")
    wC <- waldtest(fit, fit0, vcov = vfun, test = "Chisq")
    ols_omni[[length(ols_omni) + 1]] <- cbind(key, data.frame(vcov_type = vt, chi2 = w$chi2, df = w$df, p_chi2 = w$p,
      F = w$chi2 / w$df, F_df1 = w$df, F_df2_resid = fit$df.residual,
      p_F_resid_df = pf(w$chi2 / w$df, w$df, fit$df.residual, lower.tail = FALSE),
      F_df2_G_minus_1 = G - 1, p_F_G_minus_1 = pf(w$chi2 / w$df, w$df, G - 1, lower.tail = FALSE),
      waldtest_F = wF$F[2], waldtest_p_F = wF[["Pr(>F)"]][2], waldtest_chi2 = wC$Chisq[2],
      waldtest_p_chi2 = wC[["Pr(>Chisq)"]][2], stringsAsFactors = FALSE))
  }
  if (ds == "D1" && y == "depth" && cadvar == "cadence") {
    cat("\nlm + vcovCL(HC1), lmtest::coeftest, D1 depth ~ cadence + log_size + division:\n")
    print(ct1[1:6, ])
    cat("\nsame with HC0:\n"); print(ct0[1:6, ])
    cat(sprintf("N = %d, K = %d, G = %d, G/(G-1) = %.15g, (N-1)/(N-K) = %.15g\n", N, K, G, G / (G - 1), (N - 1) / (N - K)))
  }
}
ols_coef <- do.call(rbind, ols_coef); ols_ct <- do.call(rbind, ols_ct); ols_fit <- do.call(rbind, ols_fit)
ols_omni <- do.call(rbind, ols_omni)
cat("\nvcovCL recomputed by hand ((X'X)^-1 sum_g s_g s_g' (X'X)^-1 times G/(G-1) [HC0], times also (N-1)/(N-K) [HC1]):",
    "max |diff| =", max_hand_diff, "\n")
cat("\nWeekly - monthly, OLS, cluster-robust:\n")
print(subset(ols_ct, level_a == "weekly" & level_b == "monthly"), row.names = FALSE)
cat("\nOmnibus (cluster-robust HC1):\n")
print(subset(ols_omni, vcov_type == "hc1"), row.names = FALSE)
write_tidy(ols_coef, "ols_coef.csv")
write_tidy(ols_ct, "ols_contrasts.csv")
write_tidy(ols_fit, "ols_fit.csv")
write_tidy(ols_omni, "ols_omnibus.csv")

## ------------------------------------------------------------------------------------------
## (c) team-level aggregate comparison
## ------------------------------------------------------------------------------------------
banner("(c) Team-level aggregate: lm(team mean ~ team_modal + log_size + division)")
team_coef <- list(); team_ct <- list(); team_fit <- list(); team_omni <- list(); team_means <- list()
for (ds in names(D)) for (y in OUTCOMES) {
  d <- D[[ds]]
  d <- d[!is.na(d[[y]]), ]
  ## unweighted mean of the members' scores; team covariates are constant within team
  tm <- aggregate(d[[y]], list(team = d$team), mean)
  names(tm)[2] <- "ybar"
  tm$n_members <- as.vector(table(d$team)[tm$team])
  first <- d[!duplicated(d$team), c("team", "team_modal", "log_size", "division")]
  tm <- merge(tm, first, by = "team")
  team_means[[length(team_means) + 1]] <- cbind(dataset = ds, outcome = y, tm, stringsAsFactors = FALSE)
  fit <- lm(ybar ~ relevel(factor(team_modal), "monthly") + log_size + factor(division), data = tm)
  fit0 <- lm(ybar ~ log_size + factor(division), data = tm)
  s <- summary(fit)$coefficients
  b <- coef(fit); tb <- tidy_term(names(b))
  key <- data.frame(dataset = ds, outcome = y, stringsAsFactors = FALSE)
  cf <- data.frame(term = tb, term_r = names(b), estimate = b, se = NA_real_, t_value = NA_real_, p_t = NA_real_,
                   stringsAsFactors = FALSE)
  cf[match(rownames(s), names(b)), c("se", "t_value", "p_t")] <- s[, c("Std. Error", "t value", "Pr(>|t|)")]
  team_coef[[length(team_coef) + 1]] <- cbind(key, cf)
  V <- vcov(fit); names(b) <- tb; dimnames(V) <- list(tb[!is.na(b)], tb[!is.na(b)])
  pw <- pairwise(b, V)
  pw$t <- pw$estimate / pw$se; pw$df <- fit$df.residual; pw$p_t <- 2 * pt(-abs(pw$t), fit$df.residual)
  team_ct[[length(team_ct) + 1]] <- cbind(key, pw)
  a <- anova(fit0, fit)
  w <- wald(b, V, cad_term(setdiff(CADENCE, "monthly")))
  team_omni[[length(team_omni) + 1]] <- cbind(key, data.frame(F = a$F[2], df1 = a$Df[2], df2 = a$Res.Df[2],
    p_F = a[["Pr(>F)"]][2], chi2 = w$chi2, p_chi2 = w$p))
  team_fit[[length(team_fit) + 1]] <- cbind(key, data.frame(n_teams = nobs(fit), k = sum(!is.na(coef(fit))),
    resid_df = fit$df.residual, sigma = summary(fit)$sigma, r_squared = summary(fit)$r.squared,
    aliased = paste(names(coef(fit))[is.na(coef(fit))], collapse = " | "), stringsAsFactors = FALSE))
}
team_coef <- do.call(rbind, team_coef); team_ct <- do.call(rbind, team_ct); team_fit <- do.call(rbind, team_fit)
team_omni <- do.call(rbind, team_omni); team_means <- do.call(rbind, team_means)
print(subset(team_ct, level_a == "weekly" & level_b == "monthly"), row.names = FALSE)
print(team_fit, row.names = FALSE)
print(team_omni, row.names = FALSE)
write_tidy(team_means, "team_means.csv")
write_tidy(team_coef, "team_coef.csv")
write_tidy(team_ct, "team_contrasts.csv")
write_tidy(team_fit, "team_fit.csv")
write_tidy(team_omni, "team_omnibus.csv")

## ------------------------------------------------------------------------------------------
## (d) + (e) ordinal: cumulative logit (ordinal::clm), model-based and cluster-robust SEs
## ------------------------------------------------------------------------------------------
banner("(d) ordinal::clm, cumulative logit; cluster-robust sandwich from sandwich::vcovCL (estfun.clm)")
cat("sandwich methods available for clm/polr (methods(estfun)):\n")
print(as.character(methods(estfun)))
clm_coef <- list(); clm_ct <- list(); clm_fit <- list(); clm_omni <- list()
max_clm_hand <- 0; max_polr <- c(est = 0, se_cl = 0)
for (ds in names(D)) for (item in c("depth_why", "hold_save_up")) for (cadvar in c("cadence", "team_modal")) {
  d <- D[[ds]]
  d <- d[!is.na(d[[item]]), ]
  d$yord <- factor(d[[item]], ordered = TRUE)
  form <- as.formula(sprintf('yord ~ relevel(factor(%s), "monthly") + log_size + factor(division)', cadvar))
  cap <- capture(clm(form, data = d, link = "logit"))
  fit <- cap$value
  N <- nobs(fit); G <- length(unique(d$team))
  th <- fit$alpha; be <- fit$beta
  Vm <- vcov(fit)                                         # inverse observed Hessian (analytic)
  V0 <- vcovCL(fit, cluster = ~team, type = "HC0")        # G/(G-1) * B M B
  V1 <- vcovCL(fit, cluster = ~team, type = "HC1")        # also (N-1)/(N-K), K = thresholds + betas
  V0n <- vcovCL(fit, cluster = ~team, type = "HC0", cadjust = FALSE)
  ## by hand: score contributions (estfun.clm) summed within team; sandwich Vm S'S Vm
  ef <- estfun(fit)
  stopifnot(identical(colnames(ef), names(coef(fit))))
  Sg <- rowsum(ef, d$team)
  K <- ncol(ef)
  Vh <- Vm %*% crossprod(Sg) %*% Vm
  max_clm_hand <- max(max_clm_hand, max(abs(Vh - V0n)), max(abs(G / (G - 1) * Vh - V0)),
                      max(abs(G / (G - 1) * (N - 1) / (N - K) * Vh - V1)))
  ## MASS::polr refit: same parameterisation logit P(Y <= j) = zeta_j - x'beta
  pf_ <- polr(form, data = d, method = "logistic", Hess = TRUE, control = list(reltol = 1e-14, maxit = 10000))
  Vp <- vcovCL(pf_, cluster = ~team, type = "HC0")
  cp <- c(pf_$zeta, coef(pf_))
  max_polr["est"] <- max(max_polr["est"], max(abs(cp - c(th, be)[c(names(th), names(be))])))
  max_polr["se_cl"] <- max(max_polr["se_cl"], max(abs(sqrt(diag(Vp))[c(names(coef(pf_)), names(pf_$zeta))] -
                                                         sqrt(diag(V0))[c(names(be), names(th))])))
  allp <- coef(fit)
  type <- ifelse(names(allp) %in% names(th), "threshold", "beta")
  key <- data.frame(dataset = ds, item = item, cadence_var = cadvar, stringsAsFactors = FALSE)
  clm_coef[[length(clm_coef) + 1]] <- cbind(key, data.frame(type = type,
    term = ifelse(type == "threshold", paste0("threshold[", names(allp), "]"), tidy_term(names(allp))),
    term_r = names(allp), estimate = allp, se_model = sqrt(diag(Vm)),
    se_cl_hc0 = sqrt(diag(V0)), se_cl_hc1 = sqrt(diag(V1)), se_cl_hc0_noadj = sqrt(diag(V0n)),
    z_model = allp / sqrt(diag(Vm)), p_model = 2 * pnorm(-abs(allp / sqrt(diag(Vm)))),
    p_cl_hc0 = 2 * pnorm(-abs(allp / sqrt(diag(V0)))), p_cl_hc1 = 2 * pnorm(-abs(allp / sqrt(diag(V1)))),
    polr_estimate = cp[names(allp)], polr_se_model = sqrt(diag(vcov(pf_)))[names(allp)],
    stringsAsFactors = FALSE))
  ll0 <- clm(as.formula(sprintf("yord ~ log_size + factor(division)")), data = d, link = "logit")
  clm_fit[[length(clm_fit) + 1]] <- cbind(key, data.frame(n_obs = N, n_teams = G, k = K,
    n_thresholds = length(th), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
    conv_code = fit$convergence$code, max_grad = fit$maxGradient, cond_hess = fit$cond.H,
    niter = fit$niter[1], conv_message = paste(fit$convergence$messages, collapse = " | "),
    warnings = paste(cap$warnings, collapse = " | "),
    lr_cadence = 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(ll0))),
    lr_df = length(be) - (length(ll0$beta)),
    stringsAsFactors = FALSE))
  bt <- be; names(bt) <- tidy_term(names(be))
  idx <- cad_term(setdiff(CADENCE, "monthly"))
  for (vt in c("model", "hc0", "hc1")) {
    V <- switch(vt, model = Vm, hc0 = V0, hc1 = V1)[names(be), names(be)]
    dimnames(V) <- list(names(bt), names(bt))
    pw <- pairwise(bt, V)
    pw$z <- pw$estimate / pw$se; pw$p_z <- 2 * pnorm(-abs(pw$z))
    clm_ct[[length(clm_ct) + 1]] <- cbind(key, vcov_type = vt, pw)
    w <- wald(bt, V, idx)
    clm_omni[[length(clm_omni) + 1]] <- cbind(key, data.frame(vcov_type = vt, chi2 = w$chi2, df = w$df, p_chi2 = w$p,
      F = w$chi2 / w$df, p_F_G_minus_1 = pf(w$chi2 / w$df, w$df, G - 1, lower.tail = FALSE), stringsAsFactors = FALSE))
  }
  if (ds == "D1" && item == "depth_why" && cadvar == "cadence") {
    cat("\nsummary(clm), D1 depth_why ~ cadence + log_size + division:\n"); print(summary(fit))
    cat("\ncoeftest(clm, vcovCL HC0):\n"); print(coeftest(fit, vcov. = V0)[1:9, ])
  }
}
clm_coef <- do.call(rbind, clm_coef); clm_ct <- do.call(rbind, clm_ct); clm_fit <- do.call(rbind, clm_fit)
clm_omni <- do.call(rbind, clm_omni)
cat("\nclm sandwich recomputed by hand (vcov(clm) %*% crossprod(rowsum(estfun, team)) %*% vcov(clm), factors as vcovCL): max |diff| =",
    max_clm_hand, "\n")
cat("MASS::polr refit vs clm: max |diff| of estimates =", max_polr["est"], "; of HC0 cluster SEs =", max_polr["se_cl"],
    "(polr's Hessian is numerical, from optim)\n")
print(clm_fit, row.names = FALSE)
print(subset(clm_ct, level_a == "weekly" & level_b == "monthly"), row.names = FALSE)
write_tidy(clm_coef, "clm_coef.csv")
write_tidy(clm_ct, "clm_contrasts.csv")
write_tidy(clm_fit, "clm_fit.csv")
write_tidy(clm_omni, "clm_omnibus.csv")

## ------------------------------------------------------------------------------------------
## (f) moderation
## ------------------------------------------------------------------------------------------
banner("(f) Moderation: cadence_num x availability on holding_back; cadence x informal_contact on depth")
mod_fe <- list(); mod_fit <- list(); mod_omni <- list()
mod_models <- list(
  holding_back_x_availability = "holding_back ~ cadence_num * availability + log_size + factor(division) + (1 | team)",
  depth_x_informal = 'depth ~ relevel(factor(cadence), "monthly") * informal_contact + log_size + factor(division) + (1 | team)')
for (ds in names(D)) for (mn in names(mod_models)) for (opt in c("bobyqa", "default")) {
  d <- D[[ds]]
  d$cadence_num <- unname(CADENCE_NUM[d$cadence])
  r <- fit_lmer(as.formula(mod_models[[mn]]), d, opt, ddf = TRUE, kr = FALSE)
  key <- data.frame(dataset = ds, model = mn, optimizer = opt, formula = mod_models[[mn]], stringsAsFactors = FALSE)
  mod_fe[[length(mod_fe) + 1]] <- cbind(key, r$fe)
  mod_fit[[length(mod_fit) + 1]] <- cbind(key, r$info)
  if (mn == "depth_x_informal") {
    idx <- grep(":informal_contact$", names(r$b), value = TRUE)
    w <- wald(r$b, r$V, idx)
    L <- matrix(0, length(idx), length(r$b)); for (i in seq_along(idx)) L[i, match(idx[i], names(r$b))] <- 1
    Fs <- lmerTest::contest(r$mt, L, joint = TRUE, ddf = "Satterthwaite")
    mod_omni[[length(mod_omni) + 1]] <- cbind(key, data.frame(test = "all cadence:informal_contact = 0",
      chi2 = w$chi2, df = w$df, p_chi2 = w$p, F_satterthwaite = Fs[["F value"]], den_df_satterthwaite = Fs$DenDF,
      p_F_satterthwaite = Fs[["Pr(>F)"]], stringsAsFactors = FALSE))
  }
  if (ds == "D1" && opt == "bobyqa") { cat("\n---", mn, "(D1, bobyqa) ---\n"); print(summary(r$mt)$coefficients) }
}
mod_fe <- do.call(rbind, mod_fe); mod_fit <- do.call(rbind, mod_fit); mod_omni <- do.call(rbind, mod_omni)
print(mod_fit[, c("dataset", "model", "optimizer", "n_obs", "n_teams", "reml_crit", "tau2", "sigma2", "warnings")], row.names = FALSE)
print(mod_omni, row.names = FALSE)
write_tidy(mod_fe, "moderation_fixef.csv")
write_tidy(mod_fit, "moderation_fit.csv")
write_tidy(mod_omni, "moderation_omnibus.csv")

## ------------------------------------------------------------------------------------------
## (g) panel D3: TWFE, group-time ATTs (Callaway-Sant'Anna style), DID_M
## ------------------------------------------------------------------------------------------
banner("(g) Panel D3: switches between weekly and monthly")
p3 <- read_persons("D3_persons.csv")
tw3 <- read.csv("D3_team_waves.csv", stringsAsFactors = FALSE, colClasses = c(team = "character", wave = "character"))
sw3 <- read.csv("D3_switches.csv", stringsAsFactors = FALSE)
WAVES <- sort(unique(tw3$wave))
tw3$w <- match(tw3$wave, WAVES)
## teams whose policy is weekly or monthly in every wave
wm_teams <- names(which(tapply(tw3$policy %in% c("weekly", "monthly"), tw3$team, all)))
cat(sprintf("D3: %d respondent-waves, %d teams; %d teams only ever weekly or monthly; %d switches in truth\n",
            nrow(p3), length(unique(tw3$team)), length(wm_teams), nrow(sw3)))
## check the switch list against the team-wave policies
chk <- merge(sw3, tw3[, c("team", "wave", "policy")], by = c("team", "wave"))
stopifnot(nrow(chk) == nrow(sw3), all(chk$to == chk$policy))

## --- two-way fixed effects, person level
pp <- p3[p3$team %in% wm_teams & !is.na(p3$depth), ]
pp$treated <- pp$policy == "weekly"
twfe <- list()
fit <- lm(depth ~ treated + factor(team) + factor(wave), data = pp)
N <- nobs(fit); K <- sum(!is.na(coef(fit))); G <- length(unique(pp$team))
V0 <- vcovCL(fit, cluster = ~team, type = "HC0"); V1 <- vcovCL(fit, cluster = ~team, type = "HC1")
twfe[[1]] <- data.frame(level = "person", formula = "depth ~ treated + factor(team) + factor(wave)",
  estimate = coef(fit)["treatedTRUE"], se_iid = sqrt(vcov(fit)["treatedTRUE", "treatedTRUE"]),
  se_cl_hc0 = sqrt(V0["treatedTRUE", "treatedTRUE"]), se_cl_hc1 = sqrt(V1["treatedTRUE", "treatedTRUE"]),
  n_obs = N, n_teams = G, k = K, resid_df = fit$df.residual, cluster_factor_G = G / (G - 1),
  hc1_factor_N = (N - 1) / (N - K), n_treated_obs = sum(pp$treated), stringsAsFactors = FALSE)
cat("\nTWFE person level:\n"); print(coeftest(fit, vcov. = V1)["treatedTRUE", , drop = FALSE])

## --- team-wave means (unit of the heterogeneity-robust estimators)
tm3 <- aggregate(depth ~ team + wave, data = p3[!is.na(p3$depth), ], FUN = mean)
names(tm3)[3] <- "ybar"
tm3$n_members <- aggregate(depth ~ team + wave, data = p3[!is.na(p3$depth), ], FUN = length)$depth
tm3 <- merge(tw3[tw3$team %in% wm_teams, c("team", "wave", "w", "policy", "switched")], tm3,
             by = c("team", "wave"), all.x = TRUE)
tm3 <- tm3[order(tm3$team, tm3$w), ]
tm3$D <- as.integer(tm3$policy == "weekly")
write_tidy(tm3[, c("team", "wave", "w", "policy", "D", "switched", "n_members", "ybar")], "did_team_waves.csv")
tt <- tm3[!is.na(tm3$ybar), ]
tt$treated <- tt$D == 1
fit <- lm(ybar ~ treated + factor(team) + factor(wave), data = tt)
N <- nobs(fit); K <- sum(!is.na(coef(fit))); G <- length(unique(tt$team))
V0 <- vcovCL(fit, cluster = ~team, type = "HC0"); V1 <- vcovCL(fit, cluster = ~team, type = "HC1")
twfe[[2]] <- data.frame(level = "team_wave_mean", formula = "ybar ~ treated + factor(team) + factor(wave)",
  estimate = coef(fit)["treatedTRUE"], se_iid = sqrt(vcov(fit)["treatedTRUE", "treatedTRUE"]),
  se_cl_hc0 = sqrt(V0["treatedTRUE", "treatedTRUE"]), se_cl_hc1 = sqrt(V1["treatedTRUE", "treatedTRUE"]),
  n_obs = N, n_teams = G, k = K, resid_df = fit$df.residual, cluster_factor_G = G / (G - 1),
  hc1_factor_N = (N - 1) / (N - K), n_treated_obs = sum(tt$treated), stringsAsFactors = FALSE)
twfe <- do.call(rbind, twfe)
twfe$p_cl_hc1_z <- 2 * pnorm(-abs(twfe$estimate / twfe$se_cl_hc1))
twfe$p_cl_hc1_t_G_minus_1 <- 2 * pt(-abs(twfe$estimate / twfe$se_cl_hc1), twfe$n_teams - 1)
print(twfe, row.names = FALSE)
write_tidy(twfe, "did_twfe.csv")

## wide panel: Y[team, w], Dm[team, w]
teams <- sort(unique(tm3$team)); TT <- length(WAVES)
Y <- matrix(NA_real_, length(teams), TT, dimnames = list(teams, WAVES))
Dm <- matrix(NA_integer_, length(teams), TT, dimnames = list(teams, WAVES))
Y[cbind(match(tm3$team, teams), tm3$w)] <- tm3$ybar
Dm[cbind(match(tm3$team, teams), tm3$w)] <- tm3$D

## --- heterogeneity-robust estimators with switcher-level (pooled) influence functions
## Every estimate below is the mean of N switcher contrasts x_k (one per switch for DID_M, one
## per treated team-cell for the group-time aggregates). Its influence function for team i is
##     IF_i = sqrt(G / (G - 1)) * sum_{k of team i} (x_k - est) / N  +  (comparison groups' part)
## with G = the distinct teams behind the x_k (the clusters), se = sqrt(sum_i IF_i^2), and
## intervals and p-values from Student t on G - 1 df. With G = 1 there is no SE (NaN).
## (Before: each switcher's deviation from its own period or cell mean, no factor, normal:
## a period or cell with one switching team contributed no variance at all.)
## robust_did() computes them all for a wide panel and writes did_<prefix>*.csv; it runs on the
## 165 teams, then on a sparse subset (the first 30 of them by id) where cells, periods and
## event times rest on one or two switching teams.
t_columns <- function(d) {                     # t, p and 95% interval on d$df (NaN df -> NaN)
  d$t_stat <- d$estimate / d$se
  d$p_t <- ifelse(is.na(d$df), NaN, 2 * pt(-abs(d$t_stat), pmax(d$df, 1)))
  q <- ifelse(is.na(d$df), NaN, qt(0.975, pmax(d$df, 1)))
  d$ci_low <- d$estimate - q * d$se; d$ci_high <- d$estimate + q * d$se
  d
}
one_team <- "one treated team: no SE (its change cannot be told from its own team-wave noise)"

robust_did <- function(Y, Dm, prefix) {
  teams <- rownames(Y); TT <- ncol(Y)
  out_file <- function(name) sprintf("did_%s%s.csv", prefix, name)
  base_D <- Dm[, 1]
  first_switch <- apply(Dm, 1, function(d) { s <- which(d != d[1]); if (length(s)) min(s) else Inf })
  team_sum <- function(v, team_of) {           # sum v by team, as a vector over all teams
    out <- setNames(rep(0, length(teams)), teams)
    if (length(v)) { s <- tapply(v, team_of, sum); out[names(s)] <- s }
    out
  }
  pooled <- function(x, team_of, ctrl) {
    N <- length(x); est <- mean(x); G <- length(unique(team_of))
    sw <- team_sum((x - est) / N, team_of)
    IF <- if (G > 1) sqrt(G / (G - 1)) * sw + ctrl else sw * NaN
    list(estimate = est, se = if (G > 1) sqrt(sum(IF^2)) else NaN, df = if (G > 1) G - 1 else NaN,
         N = N, G = G, teams = unique(team_of), IF = IF)
  }

  ## --- Callaway-Sant'Anna-style group-time ATTs, by direction, not-yet-switched controls,
  ## universal base period g-1, team-wave means, unweighted teams.
  ## TC: one row per treated team-cell with its contrast x = dY_i - mean_C(dY) (own scale);
  ## CTRL: teams x cells, the comparison part -(dY_i - mean_C)/n_C of each cell's IF.
  cells <- list(); TC <- list(); CTRL <- list()
  for (dir in c("on", "off")) {
    b0 <- if (dir == "on") 0L else 1L          # on: monthly -> weekly; off: weekly -> monthly
    for (g in 2:TT) for (t in 1:TT) {
      if (t == g - 1) next
      base <- g - 1
      grp <- base_D == b0
      tr <- grp & first_switch == g & !is.na(Y[, t]) & !is.na(Y[, base])
      co <- grp & first_switch > max(t, base) & first_switch != g & !is.na(Y[, t]) & !is.na(Y[, base])
      if (sum(tr) == 0) next
      dY <- Y[, t] - Y[, base]
      mT <- mean(dY[tr]); mC <- if (sum(co)) mean(dY[co]) else NA_real_
      id <- sprintf("%s_g%d_t%d", dir, g, t)
      TC[[id]] <- data.frame(cell = id, team = teams[tr], x = dY[tr] - mC, stringsAsFactors = FALSE)
      ctrl <- setNames(rep(0, length(teams)), teams)
      if (sum(co)) ctrl[co] <- -(dY[co] - mC) / sum(co)
      CTRL[[id]] <- ctrl
      cells[[id]] <- data.frame(cell = id, direction = dir, from = if (dir == "on") "monthly" else "weekly",
        to = if (dir == "on") "weekly" else "monthly", g = g, t = t, base = base, g_wave = WAVES[g], t_wave = WAVES[t],
        e = t - g, n_treated = sum(tr), n_control = sum(co), mean_dy_treated = mT, mean_dy_control = mC,
        att = mT - mC, sign_weekly_minus_monthly = if (dir == "on") 1 else -1, stringsAsFactors = FALSE)
    }
  }
  cells <- do.call(rbind, cells)
  TC <- do.call(rbind, TC)
  CTRL <- do.call(cbind, CTRL)              # teams x cells
  stopifnot(identical(colnames(CTRL), cells$cell))
  cells$att_weekly_minus_monthly <- cells$att * cells$sign_weekly_minus_monthly

  ## an aggregate of the selected cells (weights n_treated, signed or not) = the mean of the signed
  ## treated team-cell contrasts; the comparison part of its IF is sum_c w_c s_c CTRL[, c]
  agg_fit <- function(sel, signed) {
    ids <- cells$cell[sel & !is.na(cells$att)]
    if (!length(ids)) return(NULL)
    s <- setNames(if (signed) cells$sign_weekly_minus_monthly else rep(1, nrow(cells)), cells$cell)[ids]
    nt <- setNames(cells$n_treated, cells$cell)[ids]
    w <- nt / sum(nt)
    rows <- TC[TC$cell %in% ids, ]
    fit <- pooled(s[rows$cell] * rows$x, rows$team, drop(CTRL[, ids, drop = FALSE] %*% (w * s)))
    stopifnot(abs(fit$estimate - sum(w * s * setNames(cells$att, cells$cell)[ids])) < 1e-12)
    fit$n_cells <- length(ids)
    fit
  }

  ## each cell alone (its IF is then the deviation from its own mean, as before, but with the
  ## factor n_T/(n_T - 1) and t on n_T - 1 df; NaN with one treated team)
  cf <- lapply(seq_len(nrow(cells)), function(k) agg_fit(seq_len(nrow(cells)) == k, FALSE))
  cells$se <- vapply(cf, function(f) if (is.null(f)) NA_real_ else f$se, 1)
  cells$df <- vapply(cf, function(f) if (is.null(f)) NA_real_ else f$df, 1)
  cells$estimate <- cells$att
  cells <- t_columns(cells)
  cells$estimate <- NULL
  cells$se_note <- ifelse(is.na(cells$att), "no not-yet-switched control team",
                          ifelse(cells$n_treated == 1, one_team, ""))
  cat(sprintf("\n[%s] Group-time ATT cells (ATT on the direction's own scale):\n", prefix))
  print(cells[, -1], row.names = FALSE)
  write_tidy(cells, out_file("cs_cells"))

  ## event study and overall aggregates
  es <- list(); pre_fits <- list()
  add <- function(fit, label, e) {
    if (is.null(fit)) return(NULL)
    data.frame(aggregate = label, e = e, n_cells = fit$n_cells, n_treated = fit$N, n_treated_teams = fit$G,
               estimate = fit$estimate, se = fit$se, df = fit$df,
               se_note = if (fit$G > 1) "" else one_team, stringsAsFactors = FALSE)
  }
  for (ee in sort(unique(cells$e))) {
    f <- agg_fit(cells$e == ee, TRUE); pre_fits[[paste("pooled", ee)]] <- f
    es[[length(es) + 1]] <- add(f, "event_time_pooled_weekly_minus_monthly", ee)
    for (dir in c("on", "off")) {
      f <- agg_fit(cells$e == ee & cells$direction == dir, FALSE); pre_fits[[paste(dir, ee)]] <- f
      es[[length(es) + 1]] <- add(f, paste0("event_time_", dir), ee)
    }
  }
  es[[length(es) + 1]] <- add(agg_fit(cells$e == 0, TRUE), "instantaneous_e0_pooled_weekly_minus_monthly", 0)
  es[[length(es) + 1]] <- add(agg_fit(cells$e >= 0, TRUE), "overall_post_pooled_weekly_minus_monthly", NA)
  for (dir in c("on", "off")) es[[length(es) + 1]] <- add(agg_fit(cells$e >= 0 & cells$direction == dir, FALSE),
                                                          paste0("overall_post_", dir), NA)
  es <- t_columns(do.call(rbind, es))
  cat(sprintf("\n[%s] Event study / aggregates:\n", prefix)); print(es, row.names = FALSE)
  write_tidy(es, out_file("cs_event_study"))

  ## pre-trend test: Hotelling-type joint test that the event-time estimates with e <= -2 are 0.
  ## W = b' V^-1 b with V = crossprod of their IFs (each with its own factor, as in the event
  ## study), q estimates, G = distinct treated teams behind them; F = W/q * (G - q)/(G - 1) on
  ## (q, G - q). Estimates with one treated team (no SE) are left out; NaN when none is left or G <= q.
  pre <- list()
  for (variant in c("pooled", "on", "off")) {
    fits <- pre_fits[grepl(paste0("^", variant, " "), names(pre_fits))]
    fits <- fits[!vapply(fits, is.null, TRUE)]
    pes <- as.numeric(sub("^[a-z]+ ", "", names(fits)))
    fits <- fits[pes <= -2]; pes <- pes[pes <= -2]
    if (!length(pes)) next
    keep <- vapply(fits, function(f) f$G > 1, TRUE)
    notes <- if (any(!keep)) sprintf("left out e = %s: one treated team, no SE", paste(pes[!keep], collapse = ", "))
    q <- sum(keep); G <- length(unique(unlist(lapply(fits[keep], `[[`, "teams"))))
    W <- F <- p_F <- p_chi2 <- NaN
    if (q > 0 && G > q) {
      b <- vapply(fits[keep], `[[`, 1, "estimate")
      M <- sapply(fits[keep], `[[`, "IF")
      W <- drop(t(b) %*% solve(crossprod(M), b))
      F <- W / q * (G - q) / (G - 1)
      p_F <- pf(F, q, G - q, lower.tail = FALSE); p_chi2 <- pchisq(W, q, lower.tail = FALSE)
    } else if (q == 0) {
      notes <- c(notes, "no pre-switch estimate has an SE")
    } else {
      notes <- c(notes, sprintf("%d treated teams behind %d pre-switch estimates: the test needs more teams", G, q))
    }
    pre[[length(pre) + 1]] <- data.frame(variant = variant,
      event_times = paste(if (q > 0) pes[keep] else pes, collapse = " "), wald_chi2 = W, df = q,
      n_treated_teams = G, F = F, df1 = q, df2 = if (q > 0 && G > q) G - q else NaN, p_F = p_F, p_chi2 = p_chi2,
      note = paste(notes, collapse = "; "), stringsAsFactors = FALSE)
  }
  pre <- do.call(rbind, pre)
  cat(sprintf("\n[%s] Pre-trend test (event times <= -2; e = -1 is the base, 0 by construction):\n", prefix))
  print(pre, row.names = FALSE)
  write_tidy(pre, out_file("cs_pretrend"))

  ## --- DID_M (de Chaisemartin & D'Haultfoeuille 2020), teams weighted equally, with the placebo.
  ## Switch k of team i in period t: x_k = dY_i - mean_{S0_t} dY (joiner) or mean_{S1_t} dY - dY_i
  ## (leaver); DID_M = mean(x_k) over the N switches (= the paper's weighted mean of DID+_t, DID-_t);
  ## comparison part of the IF: -|J_t|/N (dY_i - mean_S0)/|S0_t| on S0_t, +|L_t|/N (dY_i - mean_S1)/|S1_t|
  ## on S1_t. placebo: dY from t-2 to t-1 and every group restricted to D_{t-2} = D_{t-1}.
  ## A period's switchers count only when their comparison group is non-empty.
  did_m_fit <- function(placebo) {
    X <- NULL; ctrl <- setNames(rep(0, length(teams)), teams); per <- list()
    for (t in (if (placebo) 3 else 2):TT) {
      a <- if (placebo) t - 2 else t - 1; b <- a + 1
      ok <- !is.na(Y[, a]) & !is.na(Y[, b]) & (if (placebo) Dm[, t - 2] == Dm[, t - 1] else TRUE)
      dY <- Y[, b] - Y[, a]
      J <- ok & Dm[, t - 1] == 0 & Dm[, t] == 1; S0 <- ok & Dm[, t - 1] == 0 & Dm[, t] == 0
      L <- ok & Dm[, t - 1] == 1 & Dm[, t] == 0; S1 <- ok & Dm[, t - 1] == 1 & Dm[, t] == 1
      if (any(J) && any(S0)) {
        X <- rbind(X, data.frame(team = teams[J], type = "J", x = dY[J] - mean(dY[S0]), stringsAsFactors = FALSE))
        ctrl[S0] <- ctrl[S0] - sum(J) * (dY[S0] - mean(dY[S0])) / sum(S0)
      }
      if (any(L) && any(S1)) {
        X <- rbind(X, data.frame(team = teams[L], type = "L", x = mean(dY[S1]) - dY[L], stringsAsFactors = FALSE))
        ctrl[S1] <- ctrl[S1] + sum(L) * (dY[S1] - mean(dY[S1])) / sum(S1)
      }
      per[[length(per) + 1]] <- data.frame(t = t, t_wave = WAVES[t], n_joiners = sum(J), n_stable_monthly = sum(S0),
        n_leavers = sum(L), n_stable_weekly = sum(S1),
        did_plus = if (any(J) && any(S0)) mean(dY[J]) - mean(dY[S0]) else NA_real_,
        did_minus = if (any(L) && any(S1)) mean(dY[S1]) - mean(dY[L]) else NA_real_, stringsAsFactors = FALSE)
    }
    fit <- pooled(X$x, X$team, ctrl / nrow(X))
    list(fit = fit, periods = do.call(rbind, per),
         row = data.frame(estimator = if (placebo) "DID_M_placebo" else "DID_M", estimate = fit$estimate, se = fit$se,
                          df = fit$df, n_switches = fit$N, n_joiners = sum(X$type == "J"), n_leavers = sum(X$type == "L"),
                          n_switching_teams = fit$G, stringsAsFactors = FALSE))
  }
  dm <- did_m_fit(FALSE); dmp <- did_m_fit(TRUE)
  ## DID_M as the paper writes it: sum_t (|J_t| DID+_t + |L_t| DID-_t) / N_S
  pw <- dm$periods
  stopifnot(abs(dm$fit$estimate - sum(c(pw$n_joiners * pw$did_plus, pw$n_leavers * pw$did_minus), na.rm = TRUE) /
                                   sum(pw$n_joiners[!is.na(pw$did_plus)], pw$n_leavers[!is.na(pw$did_minus)])) < 1e-12)
  didm <- t_columns(rbind(dm$row, dmp$row))
  didm$t_squared <- didm$t_stat^2     # the placebo's pre-trend statistic; F(1, df) = t^2
  didm_t <- dm$periods; pl_t <- dmp$periods
  didm_t$kind <- "DID_M"; pl_t$kind <- "DID_M_placebo"
  cat(sprintf("\n[%s] DID_M per period:\n", prefix)); print(rbind(didm_t, pl_t), row.names = FALSE)
  cat(sprintf("\n[%s] DID_M and placebo:\n", prefix)); print(didm, row.names = FALSE)
  write_tidy(rbind(didm_t, pl_t), out_file("m_periods"))
  write_tidy(didm, out_file("m"))
}

robust_did(Y, Dm, "")
## sparse subset: the first 30 teams by id (9 switches by 5 teams; 15 cells with one treated team)
sparse <- teams[1:30]
robust_did(Y[sparse, ], Dm[sparse, ], "sparse_")

## ------------------------------------------------------------------------------------------
## (h) power: minimum detectable effect grid
## ------------------------------------------------------------------------------------------
banner("(h) Power: MDE grid")
grid <- expand.grid(teams_per_arm = seq(10, 200, by = 5), team_size = 4:12, icc = c(0, 0.05, 0.1, 0.2),
                    KEEP.OUT.ATTRS = FALSE)
grid <- grid[order(grid$icc, grid$team_size, grid$teams_per_arm), ]
alpha <- 0.05; power <- 0.8
grid$alpha <- alpha; grid$power <- power
grid$deff <- 1 + (grid$team_size - 1) * grid$icc
grid$z_sum <- qnorm(1 - alpha / 2) + qnorm(power)
grid$mde_z <- grid$z_sum * sqrt(2 * grid$deff / (grid$teams_per_arm * grid$team_size))
grid$t_df <- 2 * (grid$teams_per_arm - 1)
grid$t_sum <- qt(1 - alpha / 2, grid$t_df) + qt(power, grid$t_df)
grid$mde_t <- grid$t_sum * sqrt(2 * grid$deff / (grid$teams_per_arm * grid$team_size))
print(head(grid)); print(grid[grid$teams_per_arm == 50 & grid$team_size == 8, ])
write_tidy(grid, "power_mde.csv")

## ------------------------------------------------------------------------------------------
## (i) lme4 timing on D4 (about 200,000 respondents in 25,000 teams)
## ------------------------------------------------------------------------------------------
banner("(i) lme4 on D4: timing")
if (file.exists("D4_big.csv")) {
  rt <- system.time(d4 <- read.csv("D4_big.csv", stringsAsFactors = FALSE,
                                   colClasses = c(team = "character", cadence = "character", division = "character")))
  cat(sprintf("read.csv: %.2f s; %d rows, %d teams\n", rt[["elapsed"]], nrow(d4), length(unique(d4$team))))
  big_fe <- list(); big_t <- list()
  for (k in 1:4) {
    y <- paste0("y", k)
    form <- as.formula(sprintf('%s ~ relevel(factor(cadence), "monthly") + log_size + factor(division) + (1 | team)', y))
    for (opt in c("default", "default", "bobyqa", "tight")) {
      gc()
      st <- system.time(cap <- capture(lmer(form, data = d4, REML = TRUE, control = control_for(opt))))
      fit <- cap$value
      rep_no <- sum(vapply(big_t, function(r) r$outcome == y && r$optimizer == opt, logical(1))) + 1
      cf <- summary(fit)$coefficients
      vc <- as.data.frame(VarCorr(fit))
      big_t[[length(big_t) + 1]] <- data.frame(outcome = y, optimizer = opt, run = rep_no,
        elapsed_s = round(st[["elapsed"]], 3), user_s = round(st[["user.self"]], 3), sys_s = round(st[["sys.self"]], 3),
        n_obs = nobs(fit), n_teams = unname(ngrps(fit)), reml_crit = REMLcrit(fit), theta = unname(getME(fit, "theta")),
        tau2 = vc$vcov[1], sigma2 = vc$vcov[2], optimizer_used = fit@optinfo$optimizer,
        conv_messages = paste(c(unlist(fit@optinfo$conv$lme4$messages), cap$warnings), collapse = " | "),
        stringsAsFactors = FALSE)
      if (rep_no == 1) big_fe[[length(big_fe) + 1]] <- data.frame(outcome = y, optimizer = opt,
        term = tidy_term(rownames(cf)), term_r = rownames(cf), estimate = cf[, 1], se = cf[, 2], t_value = cf[, 3],
        stringsAsFactors = FALSE)
      cat(sprintf("%s %-8s run %d: %.2f s elapsed (REML crit %.10f)\n", y, opt, rep_no, st[["elapsed"]], REMLcrit(fit)))
    }
  }
  big_fe <- do.call(rbind, big_fe); big_t <- do.call(rbind, big_t)
  ## how far the default fits are from the tight optimum
  for (y in unique(big_fe$outcome)) {
    a <- big_fe[big_fe$outcome == y & big_fe$optimizer == "default", ]
    tt <- big_fe[big_fe$outcome == y & big_fe$optimizer == "tight", ]
    bb <- big_fe[big_fe$outcome == y & big_fe$optimizer == "bobyqa", ]
    cat(sprintf("%s: default vs tight max|d est| = %.3g, max rel d se = %.3g; bobyqa vs tight: %.3g, %.3g\n", y,
        max(abs(a$estimate - tt$estimate)), max(abs(a$se - tt$se) / tt$se),
        max(abs(bb$estimate - tt$estimate)), max(abs(bb$se - tt$se) / tt$se)))
  }
  print(big_t, row.names = FALSE)
  print(subset(big_fe, optimizer == "tight" & grepl("^cadence", term)), row.names = FALSE)
  write_tidy(big_fe, "big_lmer_fixef.csv")
  write_tidy(big_t, "big_lmer_timing.csv")
} else {
  cat("D4_big.csv not found: run make_data.py first\n")
}

banner("Done")
cat(sprintf("total elapsed: %.1f s\n", (proc.time() - t_start)[["elapsed"]]))
sessionInfo()
