## reference.R -- clubSandwich's CR2 with Satterthwaite and HTZ tests, the reference of
## toolkit.stats._cr2 (compare_cadence / cadence_omnibus with method = "ols_cluster", small_sample = "cr2")
##
## Run from this folder (after make_data.py has written the CSVs):
##   cd tests/reference/cr2 && Rscript reference.R > reference_output.txt 2>&1
##
## For every data set and outcome, on the complete cases of outcome, cadence, division, log_size:
##   fit <- lm(y ~ relevel(factor(cadence), "monthly") + division + log_size, data = d)
##   V   <- vcovCR(fit, cluster = d$team, type = "CR2")
##   coef_test(fit, vcov = V, test = "Satterthwaite")                       (printed)
##   linear_contrast(fit, vcov = V, contrasts = L, test = "Satterthwaite", p_values = TRUE)
##     with one row of L per pair of cadence levels a - b (a before b in the order weekly, biweekly,
##     monthly, less_than_monthly, none) -> cr2_contrasts.csv
##   Wald_test(fit, constraints = constrain_zero(<cadence coefficients>), vcov = V, test = "HTZ")
##     -> cr2_wald.csv
## Numbers are written with sprintf("%.15g").

suppressPackageStartupMessages(library(clubSandwich))
options(width = 140, warn = 1)

fmt <- function(x) sprintf("%.15g", as.numeric(x))
ORDER <- c("weekly", "biweekly", "monthly", "less_than_monthly", "none")
contrasts_out <- list()
wald_out <- list()

for (ds in c("C1", "C2")) {
  raw <- read.csv(paste0(ds, "_persons.csv"), stringsAsFactors = FALSE)
  for (y in c("depth", "engagement")) {
    d <- na.omit(raw[, c("team", "division", "cadence", "log_size", y)])
    d$cad <- relevel(factor(d$cadence), "monthly")
    fit <- lm(as.formula(paste(y, "~ cad + division + log_size")), data = d)
    V <- vcovCR(fit, cluster = d$team, type = "CR2")
    cat("\n", strrep("=", 100), "\n", ds, " ", y, ": ", nrow(d), " people, ", length(unique(d$team)),
        " teams\n", sep = "")
    print(coef_test(fit, vcov = V, test = "Satterthwaite"))
    levels_here <- ORDER[ORDER %in% unique(d$cadence)]
    coefs <- names(coef(fit))
    pairs <- list()
    for (i in seq_along(levels_here)) for (j in seq_along(levels_here)) if (i < j) {
      pairs[[length(pairs) + 1]] <- c(levels_here[i], levels_here[j])
    }
    L <- matrix(0, nrow = length(pairs), ncol = length(coefs), dimnames = list(NULL, coefs))
    for (k in seq_along(pairs)) {
      a <- paste0("cad", pairs[[k]][1]); b <- paste0("cad", pairs[[k]][2])
      if (a %in% coefs) L[k, a] <- 1
      if (b %in% coefs) L[k, b] <- -1
    }
    rownames(L) <- sapply(pairs, paste, collapse = " - ")
    lc <- linear_contrast(fit, vcov = V, contrasts = L, test = "Satterthwaite", p_values = TRUE)
    print(lc)
    for (k in seq_along(pairs)) {
      contrasts_out[[length(contrasts_out) + 1]] <- data.frame(
        dataset = ds, outcome = y, level_a = pairs[[k]][1], level_b = pairs[[k]][2],
        estimate = fmt(lc$Est[k]), se = fmt(lc$SE[k]), df = fmt(lc$df[k]), p_val = fmt(lc$p_val[k]),
        n_people = nrow(d), n_teams = length(unique(d$team)))
    }
    cad_coefs <- grep("^cad", coefs)
    w <- Wald_test(fit, constraints = constrain_zero(cad_coefs), vcov = V, test = "HTZ")
    print(w)
    wald_out[[length(wald_out) + 1]] <- data.frame(
      dataset = ds, outcome = y, f_stat = fmt(w$Fstat), df_num = fmt(w$df_num), df_den = fmt(w$df_denom),
      p_val = fmt(w$p_val))
  }
}

write.csv(do.call(rbind, contrasts_out), "cr2_contrasts.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, wald_out), "cr2_wald.csv", row.names = FALSE, quote = FALSE)
cat("\n")
print(sessionInfo())
